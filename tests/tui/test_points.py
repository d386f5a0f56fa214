"""Points by hand: with the probe, 0–9 add a point of that class at its cross and Delete removes
the nearest; the training process trains on the edited points; x exports them as CSV."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from textual.widgets import Input

from nntui.datasets import make_dataset
from nntui.export import data_test_path, write_data
from nntui.live.runner import Runner
from nntui.session import build_session
from nntui.settings import merge
from nntui.tui.dashboard import xy
from nntui.tui.heatmap import TRAIN_GLYPHS
from nntui.tui.path_dialog import PathDialog
from nntui.tui.settings_form import SettingsForm
from tests.live.helpers import InThread
from tests.tui.helpers import epoch, make_app, step_to, type_path, wait_for

GAUSS = dict(dataset="gauss", layers=[8, 8], lr=0.1)
OUTLIER = (2.0, 2.0)  # deep in gauss's blue (+1) cluster, where no point is


def notes(app) -> list[str]:
    return [n.message for n in app._notifications]


def trained_weights(edits: bool) -> list[np.ndarray]:
    """3 epochs, (an outlier added after 2 mini-batches), 3 more: the weights."""
    session = build_session(merge(GAUSS))
    trainer = session.trainer
    for _ in range(3):
        trainer.step_epoch()
    trainer.step_batch(), trainer.step_batch()
    if edits:
        data = session.dataset.with_point(OUTLIER, 0)
        trainer.set_data(data.x_train, data.y_train, data.x_test, data.y_test)
    for _ in range(3):
        trainer.step_epoch()
    return [w.copy() for w in trainer.net.W]


# ---------------------------------------------------------------------------- the engine and the data
def test_set_data_goes_on_from_the_same_weights_and_trains_the_next_epoch_on_the_new_points():
    session = build_session(merge(GAUSS))
    trainer, data = session.trainer, session.dataset
    trainer.step_epoch()
    trainer.step_batch()
    before = trainer.net.params.copy()
    edited = data.with_point(OUTLIER, 0)
    trainer.set_data(edited.x_train, edited.y_train, edited.x_test, edited.y_test)
    assert np.array_equal(trainer.net.params, before) and (trainer.epoch, trainer.steps) == (1, 26)
    assert trainer.batch_in_epoch == 0 and trainer.n_batches == 26  # the epoch under way starts over, on 251 points
    assert trainer.stats.epoch == 1 and len(trainer.x_train) == 251
    trainer.step_epoch()
    assert trainer.steps == 26 + 26
    # The figures are over the 251 points: a trainer built on them from these weights says the same.
    twin = build_session(merge(GAUSS), dataset=edited).trainer
    twin.net.params[...] = trainer.net.params
    assert trainer.stats.train_loss == pytest.approx(twin.evaluate().train_loss, rel=1e-12)
    # Sent to another process, it is the trainer of the new points.
    assert len(pickle.loads(pickle.dumps(trainer)).x_train) == 251


def test_the_same_edits_at_the_same_step_give_the_same_weights():
    first, second, unedited = trained_weights(True), trained_weights(True), trained_weights(False)
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert not all(np.array_equal(a, b) for a, b in zip(first, unedited))


def test_an_added_point_gets_the_features_and_the_standardization_of_the_original_data():
    data = make_dataset("gauss", features=("x1", "x2", "x1x2"), standardize=True)
    edited = data.with_point((1.5, -2.0), 1)
    assert np.array_equal(edited.mean, data.mean) and np.array_equal(edited.std, data.std)
    expected = (np.array([1.5, -2.0, -3.0]) - data.mean) / data.std
    assert np.allclose(edited.x_train[-1], expected) and edited.y_train[-1] == 1
    assert edited.n_train == data.n_train + 1 and data.n_train == 250  # the original is unchanged
    assert np.array_equal(edited.x_test, data.x_test)


def test_nearest_and_without_point():
    data = make_dataset("gauss")
    k = 17
    target = data.points_test[k] + 1e-6
    assert data.nearest(target) == (True, k)
    test, i = data.nearest(target, test=False)  # test points hidden: the nearest training point
    assert not test and i == int(np.argmin(((data.points_train - target) ** 2).sum(axis=1)))
    smaller = data.without_point(k, test=True)
    assert smaller.n_test == data.n_test - 1 and smaller.n_train == data.n_train
    assert not (smaller.points_test == data.points_test[k]).all(axis=1).any()
    assert len(smaller.x_test) == len(smaller.y_test) == len(smaller.points_test)


def test_the_runner_trains_on_the_new_points_and_its_history_starts_again_at_the_edit():
    session = build_session(merge(GAUSS))
    data = session.dataset
    run = InThread(session.trainer, running=False, stop=None)
    try:
        run.send("step_epoch")
        run.send("step_epoch")
        run.inbox.wait(lambda u: u.snapshot.epoch == 2)
        before = run.log.last().train_loss
        edited = data.with_point(OUTLIER, 0)
        run.send("set_data", edited.x_train, edited.y_train, edited.x_test, edited.y_test)
        update = run.inbox.wait(lambda u: u.n_batches == 26)
        assert update.snapshot.epoch == 2 and update.epochs[0, 0] == 2 and update.generation == 1
        # The log's epoch 2 is the figures over the new points, in place of the old ones.
        assert len(run.log) == 3 and run.log.last().train_loss == update.snapshot.stats.train_loss != before
        assert run.runner.history.epochs() == [2]  # no checkpoint of the old points is left to restore
        run.send("step_epoch")
        run.inbox.wait(lambda u: u.snapshot.epoch == 3)
        assert run.runner.history.epochs() == [2, 3] and len(run.log) == 4
    finally:
        run.runner.stop()
        run.thread.join(10)
    assert "set_data" in Runner.COMMANDS


# ---------------------------------------------------------------------------- the CSV export
@pytest.mark.parametrize("name, classes", [("gauss", None), ("spiral", 3), ("plane", None)])
def test_exported_points_load_back_as_the_same_split(tmp_path, name, classes):
    data = make_dataset(name, samples=60, classes=classes)
    label = 1 if data.task == "classification" else 0.123456789
    data = data.with_point((0.1234567891234, -5.5), label)
    path = str(tmp_path / "points.csv")
    test = write_data(path, data)
    assert test == data_test_path(path) == str(tmp_path / "points-test.csv")
    back = make_dataset(path, test_path=test)
    assert np.array_equal(back.points_train, data.points_train) and np.array_equal(back.points_test, data.points_test)
    assert np.array_equal(back.y_train, data.y_train) and np.array_equal(back.y_test, data.y_test)
    assert back.task == data.task and back.n_classes == data.n_classes
    first = (tmp_path / "points.csv").read_text().splitlines()
    assert first[0].startswith("# nntui: the 31 training points") and "--test-data points-test.csv" in first[0]
    assert first[1] == "x1,x2,label"


def test_exporting_data_that_is_not_2d_says_so(tmp_path):
    with pytest.raises(ValueError, match="not 2-D"):
        write_data(str(tmp_path / "d.csv"), make_dataset("digits"))


# ---------------------------------------------------------------------------- the keys
async def test_a_digit_adds_a_point_of_that_class_at_the_probe_and_the_next_epoch_trains_on_it():
    app = make_app(**GAUSS)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest is not None)
        await pilot.press("0")  # no probe yet: nothing added, and it says why
        assert app.session.dataset.n_train == 250 and "Press c for the probe first" in notes(app)[-1]
        await pilot.press("c")
        app.dashboard.probe = OUTLIER
        await pilot.press("0")
        data = app.session.dataset
        assert data.n_train == 251 and data.y_train[-1] == 0 and tuple(data.points_train[-1]) == OUTLIER
        assert len(app.dashboard.heatmap._train[0]) == 251 and app.view.dataset is data
        assert notes(app)[-1] == "added a class -1 point (orange ●) at (+2.00, +2.00): 251 training points"
        await wait_for(pilot, lambda: app.latest.n_batches == 26)
        await pilot.press("2")  # gauss has two classes
        assert app.session.dataset.n_train == 251 and "keys 0 to 1" in notes(app)[-1]
        await step_to(pilot, app, 1)
        assert app.latest.snapshot.steps == 26  # 251 points in mini-batches of 10
        twin = build_session(app.settings, dataset=data).trainer
        twin.net.set_weights(app.latest.snapshot.W, app.latest.snapshot.b)
        assert app.latest.snapshot.stats.train_loss == pytest.approx(twin.evaluate().train_loss, rel=1e-9)
        assert app.live.log.last().train_loss == app.latest.snapshot.stats.train_loss


async def test_delete_removes_the_point_nearest_the_probe_train_or_test():
    app = make_app(**GAUSS)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest is not None)
        data = app.session.dataset
        await pilot.press("c")
        app.dashboard.probe = tuple(data.points_test[5])
        await pilot.press("delete")
        assert app.session.dataset.n_test == 249 and app.session.dataset.n_train == 250
        label = data.class_names[data.y_test[5]]
        assert notes(app)[-1].startswith(f"removed a class {label} test point (")
        assert notes(app)[-1].endswith(f"at {xy(data.points_test[5])}: 249 test points")
        await pilot.press("t")  # test points hidden: only training points are removed
        app.dashboard.probe = tuple(data.points_test[7])
        await pilot.press("backspace")
        assert app.session.dataset.n_test == 249 and app.session.dataset.n_train == 249
        assert len(app.dashboard.heatmap._train[0]) == 249
        await wait_for(pilot, lambda: app.latest.n_batches == 25)
        await step_to(pilot, app, 1)
        assert app.latest.snapshot.steps == 25


async def test_the_same_edits_at_the_same_epochs_give_the_same_weights_in_the_app():
    async def run(edit: bool) -> list[np.ndarray]:
        app = make_app(**GAUSS)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.latest is not None)
            await pilot.press("s", "s")
            await wait_for(pilot, lambda: epoch(app) == 2)
            if edit:
                await pilot.press("c")
                app.dashboard.probe = OUTLIER
                await pilot.press("0")
                app.dashboard.probe = tuple(app.session.dataset.points_train[3])
                await pilot.press("delete")
            await pilot.press("s", "s")
            await wait_for(pilot, lambda: epoch(app) == 4)
            return [w.copy() for w in app.latest.snapshot.W]

    first, second, unedited = await run(True), await run(True), await run(False)
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert not all(np.array_equal(a, b) for a, b in zip(first, unedited))


async def test_rewinding_stops_at_the_epoch_the_points_were_edited_at():
    app = make_app(**GAUSS)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest is not None)
        await pilot.press("s", "s")
        await wait_for(pilot, lambda: epoch(app) == 2)
        await pilot.press("c")
        app.dashboard.probe = OUTLIER
        await pilot.press("1")
        await pilot.press("s", "s")
        await wait_for(pilot, lambda: epoch(app) == 4)
        await pilot.press("left_curly_bracket")  # ten back: as far as the edit
        await wait_for(pilot, lambda: app.view_epoch == 2)
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: "Rewinding goes back to epoch 2, where the points were edited" in notes(app)[-1])
        assert app.view_epoch == 2
        # The view shows the run after the edit: the points are the edited ones.
        assert app.session.dataset.n_train == 251
        # Adding a point while rewound continues from there (epoch 3 and 4 dropped).
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: app.view_epoch == 3)
        await pilot.press("0")
        await wait_for(pilot, lambda: epoch(app) == 3 and app.latest.generation == app.generation)
        assert app.view_epoch is None and app.session.dataset.n_train == 252
        assert app.latest.n_batches == 26 and app.latest.snapshot.stats.epoch == 3
        await pilot.press("left_square_bracket")  # the edit at epoch 3 is as far back as it goes now
        await wait_for(pilot, lambda: "back to epoch 3" in notes(app)[-1])
        assert app.view_epoch is None


async def test_x_exports_the_edited_points_and_they_load_back(tmp_path):
    app = make_app(**GAUSS)
    path = tmp_path / "lesson.csv"
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest is not None)
        await pilot.press("c")
        app.dashboard.probe = OUTLIER
        await pilot.press("0")
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, PathDialog))
        await type_path(pilot, str(tmp_path / "m.csv"))
        await wait_for(pilot, lambda: isinstance(app.screen, PathDialog) and "screenshot" in app.screen.title_text)
        await type_path(pilot, str(tmp_path / "s.svg"))
        await wait_for(pilot, lambda: isinstance(app.screen, PathDialog) and "data points" in app.screen.title_text)
        await type_path(pilot, str(path))
        await wait_for(pilot, lambda: (tmp_path / "lesson-test.csv").exists())
        assert "--test-data" in notes(app)[-1]
    back = make_dataset(str(path), test_path=str(tmp_path / "lesson-test.csv"))
    assert back.n_train == 251 and tuple(back.points_train[-1]) == OUTLIER and back.y_train[-1] == 0
    assert np.array_equal(back.points_test, app.session.dataset.points_test)


async def test_regression_adds_the_lowest_or_the_highest_target():
    app = make_app(dataset="plane")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest is not None)
        low, high = app.session.dataset.y_train.min(), app.session.dataset.y_train.max()
        await pilot.press("c", "0", "1", "2")
        data = app.session.dataset
        assert data.n_train == 252 and list(data.y_train[-2:]) == [low, high]
        assert "lowest target" in notes(app)[-1]


async def test_points_need_2d_data():
    app = make_app(dataset="digits", layers=[8])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest is not None)
        await pilot.press("1", "delete")
        assert notes(app)[-1] == "Points can be added and removed on 2-D data only."


async def test_an_added_point_is_drawn_without_colour_too(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(**GAUSS)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest is not None)
        heatmap = app.dashboard.heatmap
        await pilot.press("c")
        app.dashboard.probe = OUTLIER
        column, row = heatmap.data_to_cell(*OUTLIER)
        await pilot.pause()
        assert heatmap.render_line(row).text[column] != TRAIN_GLYPHS[0]
        await pilot.press("0", "c")  # add, then hide the probe's cross, which covers the point
        await wait_for(pilot, lambda: heatmap.render_line(row).text[column] == TRAIN_GLYPHS[0])


def test_every_point_key_has_its_own_palette_entry():
    app = make_app()
    titles = [binding.description for binding in app.BINDINGS if binding.action.startswith(("add_point", "remove_point"))]
    assert len(titles) == 11 and len(set(titles)) == 11
    assert "Add an orange point at the probe" in titles and "Add a blue point at the probe" in titles


async def test_the_edited_points_stay_through_changes_that_do_not_make_new_data():
    app = make_app(**GAUSS)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest is not None)
        await pilot.press("c")
        app.dashboard.probe = OUTLIER
        await pilot.press("0")
        for key, generation in (("r", 2), ("a", 3), ("o", 4)):  # reset, next activation, next optimizer
            await pilot.press(key)
            await wait_for(pilot, lambda g=generation: app.latest.generation == g)
            assert app.session.dataset.n_train == 251 and app.latest.n_batches == 26, key
        await pilot.press("e")  # the settings form: other layers keep the points
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsForm))
        app.screen.query_one("#layers", Input).value = "4"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.latest.generation == 5)
        assert app.session.net.sizes == (2, 4, 1) and app.session.dataset.n_train == 251
        await pilot.press("e")  # … another sample count makes new data
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsForm))
        app.screen.query_one("#samples", Input).value = "300"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.latest.generation == 6)
        assert app.session.dataset.n_train == 150
        await pilot.press("d")  # so does the next dataset
        await wait_for(pilot, lambda: app.latest.generation == 7)
        assert app.settings.dataset == "spiral" and app.session.dataset.n_train == 150
