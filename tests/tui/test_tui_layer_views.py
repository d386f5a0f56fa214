"""The hidden-space view (h) and the layer statistics (y): their keys, what they show, and the
gradients the training process publishes for them."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from nntui.engine import Network
from nntui.live.protocol import Update
from nntui.live.runner import Runner
from nntui.session import build_session
from nntui.settings import merge
from nntui.tui.hidden_space import HiddenSpace, HiddenSpaceScreen, braille_cells, grid_lines
from nntui.tui.layer_stats import (
    LayerStats, LayerStatsScreen, bar_rows, dead_units, histogram, saturated_units,
)
from nntui.tui.heatmap import TRAIN_GLYPHS
from nntui.tui.network_view import NetworkView
from tests.tui.helpers import make_app, wait_for


def panel_text(app, widget_type) -> str:
    """What a panel shows, as plain text."""
    widget = app.screen.query_one(widget_type)
    return "\n".join(strip.text for strip in widget.render_lines(widget.region.reset_offset))


async def pause_and_draw(pilot) -> None:
    """Pause training, and wait until the screen in front shows the paused epoch."""
    app = pilot.app
    await pilot.press("space")
    await wait_for(pilot, lambda: app.state == "paused")
    scroll = app.screen.query_one("#layer-stats-scroll")
    await wait_for(pilot, lambda: str(scroll.border_subtitle) == f"epoch {app.latest.snapshot.epoch}, paused")


# ------------------------------------------------------------------ the gradients from the training process
def full_batch_dW(trainer, W, b) -> list[np.ndarray]:
    """∂L/∂W over the whole training set at weights (W, b), computed here from scratch."""
    net = Network(trainer.net.sizes, trainer.net.hidden, trainer.net.output)
    net.set_weights(W, b)
    fwd = net.forward(trainer.x_train)
    net.backward(fwd, trainer.loss.delta(fwd.z[-1], fwd.output, trainer.t_train, net.output))
    return net.dW


def test_updates_carry_the_whole_training_set_gradient_of_the_epoch_shown():
    trainer = build_session(merge(dict(dataset="spiral", layers="6,6", activation="sigmoid", seed=3))).trainer
    updates: list[Update] = []
    got = threading.Condition()

    def publish(message):
        with got:
            updates.append(message)
            got.notify_all()

    def wait(predicate) -> Update:
        with got:
            assert got.wait_for(lambda: any(isinstance(u, Update) and predicate(u) for u in updates), 30)
            return next(u for u in updates if isinstance(u, Update) and predicate(u))

    runner = Runner(trainer, publish, running=False)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    try:
        first = wait(lambda u: True)
        assert first.grads is not None and len(first.grads) == 3  # epoch 0: the initial weights'
        for _ in range(3):
            runner.step_epoch()
        third = wait(lambda u: u.snapshot.epoch == 3)
        expected = full_batch_dW(trainer, third.snapshot.W, third.snapshot.b)
        for sent, want in zip(third.grads, expected):
            assert sent.shape == want.shape
            assert np.allclose(sent, want, rtol=1e-6, atol=1e-12)
        assert not np.allclose(first.grads[0], third.grads[0])
        runner.step_batch()  # mid-epoch: still the gradient of the end of epoch 3
        mid = wait(lambda u: u.batch_in_epoch == 1)
        assert all(np.array_equal(a, b) for a, b in zip(mid.grads, third.grads))
        runner.rewind(1)  # a past epoch: its gradient was not recorded
        rewound = wait(lambda u: u.generation == 1)
        assert rewound.snapshot.epoch == 1 and rewound.grads is None
    finally:
        runner.stop()
        thread.join(10)


# ------------------------------------------------------------------ pieces
def test_grid_lines_and_their_braille_dots():
    lines = grid_lines((-1.0, 1.0, -2.0, 2.0), lines=3, samples=5)
    assert lines.shape == (6, 5, 2)
    assert np.allclose(lines[0, :, 0], -1.0) and np.allclose(lines[0, [0, -1], 1], [-2.0, 2.0])  # a vertical line
    assert np.allclose(lines[5, :, 1], 2.0)  # the top horizontal line
    # A horizontal line across a 4×2-cell plane at y = 0.5 cells: the bottom-half dots of row 1.
    cells = braille_cells(np.array([[[0.0, 0.5], [4.0, 0.5]]]), 4, 2)
    assert (cells[0] == 0).all() and (cells[1] > 0).all()
    assert (cells[1] & 0x04).all() or (cells[1] & 0x40).all()  # the third or fourth dot row: the lower half


def test_histogram_rows_and_unit_counts():
    assert bar_rows(np.array([0, 1, 8, 4])) == [" ▁█▄"]
    tall = bar_rows(np.array([0, 2, 16, 8]), height=2)
    assert tall == ["  █ ", " ▂██"]
    assert histogram(np.array([-1.0, 0.0, 0.9, np.nan]), -1.0, 1.0, 2).tolist() == [1, 2]
    a = np.array([[0.0, 0.5, 0.0], [0.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
    assert dead_units(a) == 2
    t = np.array([[0.995, 0.2], [-0.999, 0.995]] * 10)
    assert saturated_units(t, "tanh") == 1
    assert saturated_units(np.array([[0.001, 0.5]] * 10), "sigmoid") == 1
    assert saturated_units(t, "relu") is None


def test_a_neuron_the_same_for_every_point_is_noticed():
    session = build_session(merge(dict(dataset="spiral", layers="3", activation="relu")))
    view = NetworkView(session.net.sizes, "relu", session.output, session.dataset)
    W = [w.copy() for w in session.net.W]
    b = [bias.copy() for bias in session.net.b]
    W[0][:, 1], b[0][1] = 0.0, -1.0  # neuron 2 of layer 1: always below 0, so a ReLU gives 0
    view.net.set_weights(W, b)
    plot = HiddenSpace()
    plot.show(view, session.dataset, 1, 0, 1)
    assert plot.flat == (None, 0.0)


# ------------------------------------------------------------------ the hidden-space screen
async def test_h_opens_the_hidden_space_and_its_keys_choose_layer_and_neurons():
    app = make_app(dataset="spiral", layers="4,3")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.dashboard.frame > 0)
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HiddenSpaceScreen))
        screen = app.screen
        plot = screen.query_one(HiddenSpace)
        await wait_for(pilot, lambda: plot.border_title)
        assert plot.border_title == "hidden space: layer 1 (tanh), x = neuron 1, y = neuron 2 of 4"
        text = panel_text(app, HiddenSpace)
        assert "●" in text and any(chr(c) in text for c in range(0x2801, 0x2900))  # points and grid
        await pilot.press("right")  # past neuron 2, y's
        assert plot.border_title.endswith("x = neuron 3, y = neuron 2 of 4")
        await pilot.press("up")
        assert plot.border_title.endswith("x = neuron 3, y = neuron 4 of 4")
        await pilot.press("right_square_bracket")
        assert plot.border_title == "hidden space: layer 2 (tanh), x = neuron 1, y = neuron 2 of 3"
        await pilot.press("right_square_bracket")  # the output has one neuron: back to the inputs
        assert plot.border_title == "hidden space: the inputs, x = x1, y = x2"
        await pilot.press("right")  # x2 is y's: swapped, never one neuron against itself
        assert plot.border_title == "hidden space: the inputs, x = x2, y = x1"
        await pilot.press("left_square_bracket")
        assert "layer 2" in plot.border_title
        await pilot.press("down")  # y from neuron 2, past x's neuron 1, round to neuron 3
        assert plot.border_title.endswith("x = neuron 1, y = neuron 3 of 3")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HiddenSpaceScreen))


async def test_the_hidden_space_follows_training_and_the_screen_keeps_its_keys():
    app = make_app(dataset="xor", layers="2")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.dashboard.frame > 0)
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HiddenSpaceScreen))
        plot = app.screen.query_one(HiddenSpace)
        await wait_for(pilot, lambda: "epoch 0" in str(plot.border_subtitle))
        before = panel_text(app, HiddenSpace)
        await pilot.press("s")  # the app's keys still work underneath
        await wait_for(pilot, lambda: "epoch 1" in str(plot.border_subtitle))
        await pilot.press("s", "s")
        await wait_for(pilot, lambda: "epoch 3" in str(plot.border_subtitle))
        assert panel_text(app, HiddenSpace) != before  # the layer moved the points


async def test_without_colour_both_panels_read_in_characters(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(dataset="spiral", classes=3, layers="5")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.dashboard.frame > 0)
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HiddenSpaceScreen))
        await pilot.pause()
        text = panel_text(app, HiddenSpace)
        assert all(glyph in text for glyph in TRAIN_GLYPHS[:3])  # a shape per class
        assert f"{TRAIN_GLYPHS[0]} 0  {TRAIN_GLYPHS[1]} 1  {TRAIN_GLYPHS[2]} 2" in text  # the legend
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, LayerStatsScreen))
        await pilot.pause()
        text = panel_text(app, LayerStats)
        assert "layer 1 · tanh · 5 neurons" in text and any(block in text for block in "▁▂▃▄▅▆▇█")


async def test_a_diverged_run_says_so_on_both_panels():
    app = make_app(dataset="plane", lr=1000, paused=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.state == "diverged")
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HiddenSpaceScreen))
        await pilot.pause()
        assert "no longer finite: it diverged" in panel_text(app, HiddenSpace)
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, LayerStatsScreen))
        await pilot.pause()
        text = panel_text(app, LayerStats)
        assert "‖∂L/∂W‖ not a finite number" in text and "not finite numbers" in text


async def test_hidden_space_on_image_data_says_it_needs_2d():
    app = make_app(dataset="digits", layers="8", optimizer="adam")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.dashboard.frame > 0)
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HiddenSpaceScreen))
        await pilot.pause()
        assert "needs 2-D data" in panel_text(app, HiddenSpace)


# ------------------------------------------------------------------ the layer statistics screen
async def test_y_opens_the_statistics_a_block_per_layer_and_z_shares_the_scale():
    app = make_app(dataset="spiral", layers="6,6,6", activation="sigmoid")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.dashboard.frame > 0)
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, LayerStatsScreen))
        await pilot.pause()
        text = panel_text(app, LayerStats)
        for title in ("layer 1 · sigmoid · 6 neurons", "layer 3 · sigmoid · 6 neurons", "output · tanh · 1 neuron"):
            assert title in text
        assert text.count("saturated 0 of 6") + text.count("saturated 1 of 6") >= 1
        assert "‖∂L/∂W‖" in text and "at the end of epoch 0" in text
        assert "for over 90% of the training samples" in text  # the rule, on screen
        assert "one scale for every layer" not in text
        await pilot.press("z")
        assert "one scale for every layer" in panel_text(app, LayerStats)
        await pilot.press("h")  # the other panel, in its place
        await wait_for(pilot, lambda: isinstance(app.screen, HiddenSpaceScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(app.screen_stack) == 1)


async def test_statistics_count_dead_relus_and_show_deep_sigmoid_gradients_vanishing():
    app = make_app(dataset="spiral", layers="6,6,6,6,6,6", activation="sigmoid", paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest is not None and app.latest.snapshot.epoch >= 20)
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, LayerStatsScreen))
        await pause_and_draw(pilot)
        norms = [float(np.linalg.norm(g)) for g in app.latest.grads]
        assert norms[0] < norms[-2] / 5  # the first layer's gradient is a fraction of the last hidden one's
        assert f"{norms[0]:.2g}" in panel_text(app, LayerStats)
        await pilot.press("z")  # one scale: the first layer's gradients crowd into fewer bins than the last's
        stats = app.screen.query_one(LayerStats)
        ranges = stats._ranges()
        spread_over = [np.count_nonzero(histogram(lay.grads, *span[2], 20)) for lay, span in zip(stats.figures, ranges)]
        assert spread_over[0] < spread_over[-2]


async def test_statistics_of_a_relu_network_count_its_dead_units():
    app = make_app(dataset="spiral", layers="6,6,6,6,6,6", activation="relu", lr=0.3, paused=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.latest is not None and app.latest.snapshot.epoch >= 30)
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, LayerStatsScreen))
        await pause_and_draw(pilot)
        stats = app.screen.query_one(LayerStats)
        dead = [lay.dead for lay in stats.figures[:-1]]
        assert sum(dead) > 0  # lr 0.3 kills some units
        assert f"dead {dead[2]} of 6" in panel_text(app, LayerStats)


async def test_rewound_statistics_say_the_gradients_were_not_recorded():
    app = make_app(dataset="circle", layers="4")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.dashboard.frame > 0)
        for _ in range(3):
            await pilot.press("s")
        await wait_for(pilot, lambda: app.latest.snapshot.epoch == 3)
        await pilot.press("y", "left_square_bracket")  # [ is the app's rewind here
        await wait_for(pilot, lambda: app.view_epoch == 2)
        await pilot.pause()
        assert "not recorded for past epochs" in panel_text(app, LayerStats)


@pytest.mark.parametrize("title, screen", [("Hidden space (h)", HiddenSpaceScreen), ("Layer statistics (y)", LayerStatsScreen)])
async def test_the_palette_offers_both_panels(title, screen):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert commands[title].help  # its own description
        await commands[title].callback()  # the palette runs the key's action
        await wait_for(pilot, lambda: isinstance(app.screen, screen))
