"""Pilot tests for the keys of the README's lesson: the batch counter (b), Home, rewinding from
the epoch on screen, [ after r, i as a look only, and one palette description per key."""

from __future__ import annotations

from nntui.engine.trainer import EpochStats
from nntui.tui.inspector_screen import InspectorScreen
from nntui.tui.status_bar import StatusBar
from tests.tui.helpers import make_app, rendered_text, status_text, step_to, wait_for


def record_toasts(app) -> list[str]:
    """The messages of the app's notifications from now on."""
    said: list[str] = []
    notify = app.notify

    def record(message, *args, **kwargs):
        said.append(str(message))
        return notify(message, *args, **kwargs)

    app.notify = record
    return said


def test_the_status_line_counts_the_batches_of_a_part_done_epoch():
    stats = EpochStats(epoch=0, train_loss=0.5, test_loss=0.6, train_acc=None, test_acc=None, lr=0.03,
                       penalty=0.0, grad_norms=())
    common = dict(epoch=0, stats=stats, optimizer="sgd", batch_size=10, state="paused", epochs_per_second=0.0)
    assert "epoch 0 · batch 3/25" in StatusBar.build_text(120, batches=(3, 25), **common).plain
    assert "batch size 10" in StatusBar.build_text(120, batches=(3, 25), **common).plain
    assert "batch 0/25" not in StatusBar.build_text(120, batches=(0, 25), **common).plain  # at an epoch's start
    assert "epoch 0 · batch 3/25" in StatusBar.build_text(40, batches=(3, 25), **common).plain  # kept when narrow


async def test_b_moves_the_batch_counter_on_the_status_line():
    app = make_app(dataset="xor", samples=500)  # 250 training points: 25 mini-batches of 10
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest is not None)
        assert "batch 0/" not in status_text(app)
        for n in (1, 2, 3):
            await pilot.press("b")
            await wait_for(pilot, lambda n=n: app.latest.batch_in_epoch == n)
            await pilot.pause()
            assert f"epoch 0 · batch {n}/25" in status_text(app)


async def test_home_shows_the_first_recorded_epoch():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await step_to(pilot, app, 5)
        await pilot.press("home")
        await wait_for(pilot, lambda: app.view_epoch == 0)
        assert "rewound to epoch 0 of 5" in status_text(app)
        await pilot.press("home")  # already there: stays
        await pilot.pause()
        assert app.view_epoch == 0


async def test_rewinding_starts_from_the_epoch_on_screen_not_the_latest():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await step_to(pilot, app, 10)
        await wait_for(pilot, lambda: app.dashboard.drawn_epoch == 10)
        app.dashboard.drawn_epoch = 4  # as while running: the screen shows epoch 4, training is at 10
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: app.view_epoch is not None)
        assert app.view_epoch == 3


async def test_bracket_with_nothing_before_says_why():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest is not None)
        said = record_toasts(app)
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: said)
        assert said[-1] == "nothing recorded before epoch 0: training starts there"
        await step_to(pilot, app, 1)
        generation = app.generation
        await pilot.press("r")
        await wait_for(pilot, lambda: app.generation > generation and app.latest is not None)
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: "nothing recorded" in said[-1] and "r started" in said[-1])
        assert said[-1] == "nothing recorded before epoch 0: r started a new run"
        assert app.view_epoch is None


async def test_i_says_the_weights_are_not_changed():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest is not None)
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, InspectorScreen))
        await pilot.pause()
        text = rendered_text(app.screen)
        assert "a look at one step: the weights are not changed" in text
        assert "weights updated" not in text
        await pilot.press("p")  # phase stepping the real mini-batch is no look only
        await wait_for(pilot, lambda: app.screen.trace.phase == "forward")
        for _ in range(len(app.screen.trace.phases) - 1):
            await pilot.press("p")
        await wait_for(pilot, lambda: app.screen.trace.complete)
        await pilot.pause()
        text = rendered_text(app.screen)
        assert "step done, weights updated" in text and "not changed" not in text


async def test_every_palette_entry_has_its_own_description():
    app = make_app()
    async with app.run_test(size=(120, 40)):
        commands = {c.title: c.help for c in app.get_system_commands(app.screen)}
        ours = {title: help for title, help in commands.items() if title.endswith(")")}  # a key in brackets
        assert len(set(ours.values())) == len(ours), [h for h in ours.values() if list(ours.values()).count(h) > 1]
        assert "First epoch (Home)" in ours and "first recorded epoch" in ours["First epoch (Home)"]
        assert "Back 10 ({)" in ours and "10" in ours["Back 10 ({)"]


async def test_i_says_so_on_the_top_row_at_80_columns():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.latest is not None)
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, InspectorScreen))
        await pilot.pause()
        top = app.screen._compositor.render_strips()[0].text
        assert "the weights are not changed" in top
