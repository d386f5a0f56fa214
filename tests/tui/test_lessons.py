"""The classroom lessons (--lesson NAME): each reaches the state its text describes, read from
the same entry of nntui.lessons that the panel shows; the option goes through the settings
layers like a preset; the panel fits a class's terminal."""

from __future__ import annotations

import numpy as np
import pytest

from nntui.cli import main
from nntui.engine.activations import HIDDEN_ACTIVATIONS
from nntui.engine.losses import decode_outputs
from nntui.lessons import LESSON_BY_NAME, LESSONS, XOR_NEURONS
from nntui.session import build_session, resolve_settings
from nntui.settings import SettingsError, merge, next_learning_rate
from nntui.tui.help_screen import HELP_TEXT
from nntui.tui.key_bar import KeyBar
from nntui.tui.lesson_panel import LessonPanel
from nntui.tui.status_bar import StatusBar
from tests.tui.helpers import first_frame, make_app, screen_rows


def lesson_session(name: str, **changes):
    """A session of this lesson's settings (with some changed)."""
    return build_session(merge({"lesson": name, **changes}))


def prediction(trainer, x: np.ndarray) -> int:
    """The class the network gives the input row x."""
    return int(decode_outputs(trainer.net.predict(x), trainer.task, trainer.net.output.name)[0])


# ---------------------------------------------------------------------------- the option
def test_a_lesson_is_a_layer_of_settings_between_the_defaults_and_the_config_and_flags(tmp_path):
    lesson = LESSON_BY_NAME["vanishing-gradients"]
    s = merge({"lesson": lesson.name})
    assert (s.dataset, s.layers, s.activation) == ("spiral", (6,) * 6, "sigmoid")
    assert merge({"lesson": lesson.name, "activation": "relu"}).activation == "relu"  # a flag wins
    config = tmp_path / "c.toml"
    config.write_text('lesson = "vanishing-gradients"\nlayers = "3,3"\n')
    s, _ = resolve_settings({"activation": "tanh"}, str(config))
    assert (s.dataset, s.layers, s.activation) == ("spiral", (3, 3), "tanh")
    # Over a preset: the lesson's values win, the preset fills in the rest.
    s = merge({"preset": "playground", "lesson": lesson.name})
    assert (s.dataset, s.init) == ("spiral", "uniform")


def test_every_lesson_has_checked_settings_and_a_text_naming_keys():
    for lesson in LESSONS:
        merge({"lesson": lesson.name})  # every value passes its option's check
        assert lesson.instructions and "{" not in lesson.instructions
        assert "press" in lesson.instructions.lower()


def test_an_unknown_lesson_is_one_line_naming_the_lessons(capsys):
    with pytest.raises(SettingsError, match="unknown lesson 'cats'"):
        merge({"lesson": "cats"})
    assert main(["--lesson", "cats", "--headless"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and all(lesson.name in err for lesson in LESSONS)


def test_lesson_list_and_help_name_every_lesson(capsys):
    assert main(["--lesson", "list"]) == 0
    out = capsys.readouterr().out
    assert all(f"{lesson.name}  " in out and lesson.title in out for lesson in LESSONS)
    with pytest.raises(SystemExit):
        main(["--help"])
    text = "".join(capsys.readouterr().out.split())  # argparse wraps its lines, also at a hyphen
    assert all(lesson.name in text for lesson in LESSONS)
    assert "--lesson list" in HELP_TEXT  # and the help screen says how to find them


def test_headless_with_a_lesson_trains_on_its_settings(capsys):
    assert main(["--lesson", "lr-too-high", "--headless", "--epochs", "1", "--json"]) == 0
    assert '"lr": 0.3' in capsys.readouterr().out


# ---------------------------------------------------------------------------- each lesson does what it says
def test_xor_by_hand_the_weights_the_text_names_solve_xor():
    lesson = LESSON_BY_NAME["xor-by-hand"]
    session = lesson_session(lesson.name)
    trainer = session.trainer
    assert session.settings.paused and trainer.epoch == 0
    assert trainer.stats.train_acc < 0.9  # not solved before the edits
    assert lesson.facts["x1"] == "1, -1, 1, -1" and lesson.facts["x1"] in lesson.instructions
    for neuron, (from_x1, from_x2, to_output) in enumerate(XOR_NEURONS):  # as the dialog sets them
        trainer.set_parameter(0, 0, neuron, from_x1)
        trainer.set_parameter(0, 1, neuron, from_x2)
        trainer.set_parameter(1, neuron, 0, to_output)
    assert not any(b.any() for b in trainer.net.b)  # "the biases stay 0"
    stats = trainer.stats
    assert stats.train_acc >= lesson.facts["accuracy"] and stats.test_acc >= lesson.facts["accuracy"]
    for _ in range(10):  # space: gradient descent takes over from there and keeps it
        trainer.step_epoch()
    assert trainer.stats.test_acc >= lesson.facts["accuracy"]


@pytest.mark.parametrize("settled", [30, 100, 300])  # however long the boundary was left to first_frame
def test_overfit_outlier_the_point_added_in_the_blue_cluster_is_learned(settled):
    lesson = LESSON_BY_NAME["overfit-outlier"]
    facts = lesson.facts
    session = lesson_session(lesson.name)
    trainer = session.trainer
    for _ in range(settled):
        trainer.step_epoch()
    point = (facts["x1"], facts["x2"])
    edited = session.dataset.with_point(point, facts["label"])
    x = edited.x_train[-1:]
    assert prediction(trainer, x) == 1 != facts["label"]  # the point sits where the network says blue
    test_loss = trainer.stats.test_loss
    trainer.set_data(edited.x_train, edited.y_train, edited.x_test, edited.y_test)
    for _ in range(facts["epochs"]):
        trainer.step_epoch()
        if prediction(trainer, x) == facts["label"]:
            break
    assert prediction(trainer, x) == facts["label"]  # the boundary bent around the outlier …
    assert trainer.stats.test_loss > 10 * test_loss  # … and the test loss rose


def test_vanishing_gradients_the_first_layers_gradients_are_far_smaller_than_the_outputs():
    lesson = LESSON_BY_NAME["vanishing-gradients"]
    facts = lesson.facts

    def norms(activation: str | None = None) -> list[tuple[float, ...]]:
        """‖∂L/∂W‖ per layer, as the layer statistics show them, at each of the lesson's epochs."""
        trainer = lesson_session(lesson.name, **({"activation": activation} if activation else {})).trainer
        seen = []
        for epoch in facts["epochs"]:
            while trainer.epoch < epoch:
                trainer.step_epoch()
            seen.append(trainer.stats.grad_norms)
        return seen

    assert all(first * facts["ratio"] < last for first, *_, last in norms())
    others = [a.strip() for a in facts["others"].replace(" or ", ",").split(",")]
    assert others and set(others) <= set(HIDDEN_ACTIVATIONS)
    after = HIDDEN_ACTIVATIONS.index("sigmoid") + facts["presses"]  # a, as often as the text says, …
    assert HIDDEN_ACTIVATIONS[after % len(HIDDEN_ACTIVATIONS)] == facts["next"] == others[0]  # … switches to this
    for activation in others:
        assert all(first * facts["ratio"] > last for first, *_, last in norms(activation)), activation


def test_lr_too_high_plus_as_often_as_the_text_says_diverges_and_minus_does_not():
    lesson = LESSON_BY_NAME["lr-too-high"]
    facts = lesson.facts
    rates = [lesson.settings["lr"]]
    for _ in range(facts["presses"]):
        rates.append(next_learning_rate(rates[-1], +1))
    assert " → ".join(f"{r:g}" for r in rates) == facts["rates"]

    def run(lrs: list[float]) -> object:
        """Train `epochs` epochs at each rate in turn: the trainer."""
        trainer = lesson_session(lesson.name).trainer
        first = trainer.stats.train_loss
        for lr in lrs:
            trainer.lr = lr
            for _ in range(facts["epochs"]):
                if trainer.step_epoch() is None:
                    break
        assert trainer.diverged or trainer.stats.train_loss < first  # the loss falls
        return trainer

    assert run(rates[:-1]).diverged is None  # the presses before the last do not diverge
    assert run(rates).diverged  # the last does, within `epochs` epochs
    assert run([next_learning_rate(rates[-1], -1)]).diverged is None  # - then r: it learns again


# ---------------------------------------------------------------------------- the panel
@pytest.mark.parametrize("name, size", [*((lesson.name, (80, 24)) for lesson in LESSONS), ("xor-by-hand", (120, 40))])
async def test_the_lesson_panel_shows_the_title_folds_and_leaves_the_status_line_and_keys(name, size):
    lesson = LESSON_BY_NAME[name]
    app = make_app(lesson=lesson.name)
    async with app.run_test(size=size) as pilot:
        await first_frame(pilot, app)
        panel = app.query_one(LessonPanel)
        rows = screen_rows(app)
        assert lesson.title in rows[panel.region.y]
        shown = " ".join(rows[panel.region.y + 1:panel.region.bottom])
        assert shown.split() == lesson.instructions.split()  # the whole paragraph, wrapped, nothing cut
        tall = panel.region.height
        status = app.query_one(StatusBar).region
        assert status.height == 1 and "epoch" in rows[status.y]
        assert {"?", "q"} <= set(app.query_one(KeyBar).shown_keys())
        assert "? Help" in rows[-1] and "q Quit" in rows[-1]
        await pilot.press("L")
        await pilot.pause()
        assert panel.collapsed and panel.region.height == 1 < tall
        assert lesson.title in screen_rows(app)[panel.region.y]
        await pilot.press("L")
        await pilot.pause()
        assert panel.region.height == tall


async def test_without_a_lesson_there_is_no_panel():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await first_frame(pilot, app)
        assert not app.query(LessonPanel)
