"""The live TUI, driven through Textual's Pilot: keys, the training worker, and its states."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from nntui.session import build_session
from nntui.settings import merge
from nntui.settings import DEFAULT_SPEED
from nntui.tui.app import SPEEDS, next_speed
from nntui.tui.heatmap import Heatmap
from nntui.tui.help_screen import HelpScreen
from nntui.tui.inspector_screen import InspectorScreen
from nntui.tui.network_diagram import NetworkDiagram
from tests.tui.helpers import epoch, make_app, status_text, step_to, wait_for


async def test_worker_delivers_epochs_to_the_screen():
    app = make_app(paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: epoch(app) >= 3)
        assert app.state == "running"
        await wait_for(pilot, lambda: "epoch" in status_text(app))
        assert app.query_one(Heatmap).values is not None


async def test_space_pauses_and_resumes():
    app = make_app(paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: epoch(app) >= 1)
        await pilot.press("space")
        await wait_for(pilot, lambda: app.latest.running is False)
        assert app.state == "paused"
        frozen = epoch(app)
        for _ in range(5):
            await pilot.pause(0.01)
        assert epoch(app) == frozen
        await pilot.press("space")
        await wait_for(pilot, lambda: epoch(app) > frozen)
        assert app.state == "running"


async def test_s_and_right_step_one_epoch_and_b_one_batch():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest is not None)
        await pilot.press("b")
        await wait_for(pilot, lambda: app.latest.snapshot.steps == 1)
        assert epoch(app) == 0 and app.latest.batch_in_epoch == 1
        await pilot.press("s")  # finishes the epoch the batch started
        await wait_for(pilot, lambda: epoch(app) == 1)
        assert app.latest.snapshot.steps == app.latest.n_batches
        await pilot.press("right")
        await wait_for(pilot, lambda: epoch(app) == 2)
        assert app.state == "paused"


async def test_plus_minus_change_the_learning_rate_without_reset():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await step_to(pilot, app, 1)
        await pilot.press("plus")
        await wait_for(pilot, lambda: app.latest.snapshot.lr == 0.1)
        await pilot.press("minus", "minus")
        await wait_for(pilot, lambda: app.latest.snapshot.lr == 0.01)
        assert epoch(app) == 1  # nothing was reset
        assert "lr 0.01" in status_text(app)


async def test_r_resets_to_the_seeds_weights_on_the_same_data():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest is not None)
        start = [w.copy() for w in app.latest.snapshot.W]
        data = app.session.dataset
        await pilot.press("s", "s")
        await wait_for(pilot, lambda: epoch(app) == 2)
        await pilot.press("r")
        await wait_for(pilot, lambda: app.latest.generation == 1)
        assert epoch(app) == 0 and app.session.dataset is data
        assert all(np.array_equal(a, b) for a, b in zip(start, app.latest.snapshot.W))


async def test_n_draws_new_data_from_the_next_seed():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest is not None)
        before = app.session.dataset.x_train.copy()
        await pilot.press("n")
        await wait_for(pilot, lambda: app.latest.generation == 1)
        assert app.settings.seed == 1 and not np.array_equal(before, app.session.dataset.x_train)


async def test_t_toggles_test_points():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.show_test
        await pilot.press("t")
        assert not app.show_test
        await pilot.press("t")
        assert app.show_test


@pytest.mark.parametrize("key,option,expected", [("d", "dataset", "xor"), ("a", "activation", "relu"), ("o", "optimizer", "momentum")])
async def test_d_a_o_cycle_dataset_activation_optimizer(key, option, expected):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest is not None)
        await pilot.press(key)
        await wait_for(pilot, lambda: app.latest.generation == 1)
        assert getattr(app.settings, option) == expected
        assert epoch(app) == 0


async def test_cycling_to_digits_shows_digits_and_confusion():
    app = make_app(dataset="multigauss")  # the next dataset is digits
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        await wait_for(pilot, lambda: app.latest.generation == 1)
        await pilot.pause()
        assert app.settings.dataset == "digits"
        assert app.query_one("#digits").display and not app.query_one(Heatmap).display
        assert app.query_one("#confusion").display


async def test_help_opens_and_closes():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


@pytest.mark.parametrize("key", ["q", "ctrl+c"])
async def test_q_quits_and_leaves_no_process_or_thread_running(key):
    app = make_app(paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: epoch(app) >= 1)
        process = app.live.process
        await pilot.press(key)
    assert not process.is_alive() and process.exitcode == 0
    assert not any("nntui" in t.name for t in threading.enumerate() if t.is_alive())


async def test_divergence_pauses_and_minus_then_r_recovers():
    app = make_app(dataset="plane", lr=1000, paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.state == "diverged")
        assert "diverged" in status_text(app) and app.latest.running is False
        assert "lower" in app.latest.snapshot.diverged
        await pilot.press("minus")
        await pilot.press("r")
        await wait_for(pilot, lambda: app.latest.generation == 1)
        assert app.state == "paused" and app.latest.snapshot.diverged is None
        assert app.settings.lr == 10.0


async def test_too_small_terminal_shows_a_message_and_recovers():
    app = make_app()
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        assert app.screen.has_class("-too-small")
        assert app.query_one("#too-small").display
        assert "make the terminal larger" in str(app.query_one("#too-small").render())
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert not app.screen.has_class("-too-small")


async def test_resizing_at_any_moment_never_crashes():
    app = make_app(paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        for size in [(80, 24), (20, 5), (200, 60), (61, 18), (1, 1), (120, 40)]:
            await pilot.resize_terminal(*size)
            await pilot.pause(0.02)
        await wait_for(pilot, lambda: epoch(app) >= 1)


async def test_selecting_a_neuron_shows_its_activation_and_escape_returns():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest is not None)
        app.query_one(NetworkDiagram).focus()
        await pilot.press("right", "right")  # select (0, 0) then move to the first hidden layer
        await pilot.pause()
        assert app.selected == (1, 0)
        heatmap = app.query_one(Heatmap)
        assert heatmap.kind == "neuron"
        expected = app.view.neuron_field(heatmap.grid_points(), 1, 0)
        assert np.allclose(heatmap.values.ravel(), expected / np.abs(expected).max(), atol=1e-9) or heatmap.values is not None
        await pilot.press("escape")
        await pilot.pause()
        assert app.selected is None and heatmap.kind == "binary"


async def test_command_palette_offers_the_actions():
    app = make_app()
    async with app.run_test(size=(120, 40)):
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for word in ("Run", "Step", "Reset", "New data", "Next dataset", "Help", "Inspect", "Phase", "Save model"):
            assert any(word in t for t in titles), word


async def test_rewind_shows_a_past_epoch_and_resuming_drops_the_later_ones():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await step_to(pilot, app, 12)
        twin = build_session(merge({"paused": True})).trainer
        for _ in range(5):
            twin.step_epoch()
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: app.view_epoch == 11)
        await pilot.press("left_curly_bracket")
        await wait_for(pilot, lambda: app.view_epoch == 1)
        for i in range(2, 6):
            await pilot.press("right_square_bracket")
            await wait_for(pilot, lambda i=i: app.view_epoch == i)
        assert np.array_equal(app.view.net.params, twin.net.params)  # every panel draws epoch 5's weights
        assert app.dashboard.plot.marker_epoch == 5 and "rewound to epoch 5" in status_text(app)
        assert f"loss {twin.stats.train_loss:.4f}" in status_text(app)
        await pilot.press("end")
        assert app.view_epoch is None
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: app.view_epoch == 11)
        await pilot.press("left_curly_bracket")  # back to epoch 1, then continue from there
        await wait_for(pilot, lambda: app.view_epoch == 1)
        await pilot.press("s")
        await wait_for(pilot, lambda: app.latest.generation == 1 and epoch(app) == 2)
        assert [s.epoch for s in app.live.log.iter_stats()] == [0, 1, 2]  # epochs 0, 1 and the new 2
        await pilot.press("left_curly_bracket")
        await wait_for(pilot, lambda: app.view_epoch == 0)


async def test_i_opens_the_inspector_on_a_training_sample():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest is not None)
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, InspectorScreen))
        trace = app.screen.trace
        assert trace.complete and len(trace.x) == 1
        assert np.array_equal(trace.x[0], app.session.trainer.x_train[0])
        before = app.latest.snapshot
        await pilot.press("escape")
        assert not isinstance(app.screen, InspectorScreen)
        await pilot.press("b")  # one mini-batch after the inspection equals one from the start
        await wait_for(pilot, lambda: app.latest.snapshot.steps == 1)
        twin = build_session(merge({"paused": True})).trainer
        twin.step_batch()
        assert before.steps == 0 and all(np.array_equal(a, b) for a, b in zip(app.latest.snapshot.W, twin.net.W))


async def test_p_steps_phases_and_completing_them_equals_pressing_b():
    twin = build_session(merge({"paused": True})).trainer
    twin.step_batch()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest is not None)
        n_phases = 2 + app.session.net.n_layers + 1  # forward, loss, backward per layer, update
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, InspectorScreen))
        assert app.screen.trace.phase == "forward"
        for i in range(2, n_phases + 1):
            await pilot.press("p")
            await wait_for(pilot, lambda i=i: app.screen.trace.n_done == i)
        assert app.screen.trace.phase == "update"
        await wait_for(pilot, lambda: app.latest.snapshot.steps == 1)
        assert all(np.array_equal(a, b) for a, b in zip(app.latest.snapshot.W, twin.net.W))
        await pilot.press("g")  # gradient check of the layer shown
        await pilot.pause()
        assert app.screen.checks


async def test_enter_on_the_probe_inspects_that_point():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest is not None)
        await pilot.press("c", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InspectorScreen))
        assert np.allclose(app.screen.trace.x, app.session.dataset.inputs(np.array([app.probe])))


async def test_less_than_slows_training_down_and_greater_than_speeds_it_up():
    app = make_app(paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(len(SPEEDS)):
            await pilot.press("less_than_sign")  # 200, 60, 20, 10, 3, 1 epochs/s, then no slower
        assert app.live.max_rate == 1 == SPEEDS[0]
        await wait_for(pilot, lambda: "1 ep/s" in status_text(app))
        await wait_for(pilot, lambda: epoch(app) >= 1)
        start, began = epoch(app), time.monotonic()
        while time.monotonic() - began < 0.5:
            await pilot.pause(0.05)
        assert epoch(app) - start <= 2  # at 1 epoch/s, at most one or two epochs in half a second
        for _ in range(len(SPEEDS)):
            await pilot.press("greater_than_sign")
        assert app.live.max_rate is None and app.settings.speed is None
        await wait_for(pilot, lambda: epoch(app) > start + 20)
        await wait_for(pilot, lambda: "full speed" in status_text(app))


async def test_the_tui_starts_at_the_default_pace_and_shows_it():
    app = make_app(paused=False, speed=DEFAULT_SPEED)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.live.max_rate == DEFAULT_SPEED  # from the first epoch on
        await wait_for(pilot, lambda: epoch(app) >= 2 and app.dashboard.drawn)
        assert f"{DEFAULT_SPEED} ep/s" in status_text(app)
        await pilot.press("greater_than_sign")
        assert app.live.max_rate == next_speed(DEFAULT_SPEED, 1) > DEFAULT_SPEED
        assert f"{app.live.max_rate:g} ep/s" in status_text(app)  # shown at once, no toast needed


@pytest.mark.parametrize("rate, direction, expected", [
    (None, -1, SPEEDS[-2]), (None, 1, None), (SPEEDS[0], -1, SPEEDS[0]), (SPEEDS[-2], 1, None),
    (25, -1, 20), (25, 1, 60), (20, 1, 60), (20, -1, 10), (0.5, 1, 1), (1000, -1, 200), (1000, 1, None),
])
def test_next_speed_moves_along_the_ladder_from_any_pace(rate, direction, expected):
    assert next_speed(rate, direction) == expected


async def test_at_full_speed_updates_wait_for_the_paced_frame_but_keys_are_answered_at_once():
    app = make_app(paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: epoch(app) >= 1 and app.dashboard.drawn)
        frames = []
        draw = app.dashboard._draw
        app.dashboard._draw = lambda: (frames.append(epoch(app)), draw())
        app.dashboard.pacer.wait = lambda full_speed: 60.0 if full_speed else 0.0  # the next frame is a minute away
        if app.dashboard._frame_timer is not None:  # one due sooner, set before
            app.dashboard._frame_timer.stop()
            app.dashboard._frame_timer = None
        shown = status_text(app)
        await wait_for(pilot, lambda: epoch(app) >= 5)  # updates keep arriving …
        assert frames == [] and status_text(app) == shown  # … but nothing is redrawn, not even the status
        await pilot.press("plus")  # what answers a key is shown at once, in the status line
        await wait_for(pilot, lambda: "lr 0.1 " in status_text(app))
        assert app.latest.snapshot.lr == 0.1 and frames == []
        await pilot.press("space")
        await wait_for(pilot, lambda: app.state == "paused")
        await pilot.pause()
        assert frames and frames[-1] == epoch(app)
        assert f"epoch {epoch(app):,}" in status_text(app)


async def test_at_full_speed_the_training_process_publishes_twice_a_frame():
    app = make_app(paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        app.dashboard.pacer.interval = lambda full_speed: 1.0 if full_speed else 0.25
        await wait_for(pilot, lambda: app.dashboard.drawn and app.dashboard._publish_interval == 0.5)
        await pilot.press("space")
        await wait_for(pilot, lambda: app.state == "paused")
        await pilot.press("s")
        await wait_for(pilot, lambda: app.dashboard._publish_interval == 0.125)
