"""The layout at the terminal sizes a class meets (80×24 to 200×60): the status line is one row
that never wraps, the key bar always shows ? and q (and the pace keys), toasts never cover the
status line."""

from __future__ import annotations

import pytest
from textual.widgets._toast import Toast

from nntui.engine.trainer import EpochStats
from nntui.tui.inspector_screen import InspectorScreen, phase_name
from nntui.tui.key_bar import KeyBar
from nntui.tui.status_bar import StatusBar
from tests.tui.helpers import first_frame, make_app, screen_rows, wait_for

SIZES = [(80, 24), (100, 30), (120, 40), (200, 60)]


@pytest.mark.parametrize("size", SIZES)
async def test_the_status_line_is_one_row_and_the_key_bar_shows_help_quit_and_pace(size):
    app = make_app(speed=20)
    async with app.run_test(size=size) as pilot:
        await first_frame(pilot, app)
        # A run far along, trained flat out: four-digit epochs per second and six-digit epochs.
        update = app.latest
        app.dashboard.status.update_status(epoch=127_000, stats=update.snapshot.stats, optimizer="adam", batch_size=10,
                                 state="running", epochs_per_second=1234.4, pace=None, dataset="circle",
                                 layers="2-4-2-1")
        await pilot.pause()
        status = app.query_one(StatusBar)
        assert status.region.height == 1
        row = screen_rows(app)[status.region.y]
        assert "running" in row and "epoch 127,000" in row and "full speed 1,234 ep/s" in row
        assert "…" not in row  # fields are dropped whole, never cut

        keys = app.query_one(KeyBar).shown_keys()
        assert {"?", "q", "<", ">", "space"} <= set(keys)
        bar = screen_rows(app)[size[1] - 1]
        assert "? Help" in bar and "q Quit" in bar and "< > pace" in bar


@pytest.mark.parametrize("size", [(60, 18), *SIZES])  # 60×18: the smallest the app draws at
async def test_the_key_bar_hides_a_key_that_does_not_fit_whole(size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await first_frame(pilot, app)
        bar = screen_rows(app)[size[1] - 1]
        assert "? Help" in bar and "q Quit" in bar and "< > pace" in bar
        for key in app.query_one(KeyBar).query("FooterKey"):
            label = f"{key.key_display} {key.description}".strip()
            if key.description and key.visible:
                assert label in bar
            elif key.description:
                assert key.description not in bar  # not even a part of it


async def test_the_key_bar_shows_the_keys_again_when_the_terminal_grows():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await first_frame(pilot, app)
        assert "[" not in app.query_one(KeyBar).shown_keys()
        await pilot.resize_terminal(200, 60)
        await pilot.pause()
        await pilot.pause()
        assert "[" in app.query_one(KeyBar).shown_keys() and "[ Back" in screen_rows(app)[59]


async def test_a_message_takes_a_second_row_and_gives_it_back():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await first_frame(pilot, app)
        status = app.query_one(StatusBar)
        fields = dict(epoch=12, stats=app.latest.snapshot.stats, optimizer="sgd", batch_size=10,
                      state="diverged", epochs_per_second=0.0)
        status.update_status(**fields, message="diverged at epoch 12: lower the learning rate and reset")
        await pilot.pause()
        assert status.region.height == 2
        assert "lower the learning rate" in screen_rows(app)[status.region.y + 1]
        status.update_status(**{**fields, "state": "paused"})
        await pilot.pause()
        assert status.region.height == 1


@pytest.mark.parametrize("size", SIZES)
async def test_toasts_never_cover_the_status_line(size):
    app = make_app()
    async with app.run_test(size=size, notifications=True) as pilot:
        await first_frame(pilot, app)
        app.notify("a long note that says what just happened, over two lines at narrow widths", timeout=30)
        app.notify("and a second one", timeout=30)
        await wait_for(pilot, lambda: len(app.screen.query(Toast)) == 2)
        await pilot.pause()
        status = app.query_one(StatusBar).region
        keys = app.query_one(KeyBar).region
        for toast in app.screen.query(Toast):
            assert toast.region and not toast.region.overlaps(status) and not toast.region.overlaps(keys)


def test_status_text_is_one_row_at_every_width_and_keeps_the_pace_before_the_accuracy() -> None:
    stats = EpochStats(123456, 0.0002301, 0.002323, 1.0, 1.0, 0.0, (1.0,), 0.03)
    for width in range(10, 201):
        for eps, pace in ((1234.5, None), (19.9, 20), (5.0, 60), (12345.0, None)):
            text = StatusBar.build_text(width, epoch=123456, stats=stats, optimizer="sgd", batch_size=10,
                                        state="running", epochs_per_second=eps, pace=pace, dataset="circle",
                                        layers="2-4-2-1")
            assert "\n" not in text.plain and text.cell_len <= width
            if "acc" in text.plain:
                assert "ep/s" in text.plain
    wide = StatusBar.build_text(200, epoch=10, stats=stats, optimizer="sgd", batch_size=10, state="running",
                                epochs_per_second=5.0, pace=60)
    assert "5 of 60 ep/s" in wide.plain  # training falls short of the pace: said so
    paused = StatusBar.build_text(200, epoch=10, stats=stats, optimizer="sgd", batch_size=10, state="paused",
                                  epochs_per_second=0.0, pace=20)
    assert "20 ep/s" in paused.plain  # the pace it will go on at


@pytest.mark.parametrize("layers", ["4,2", "8,8,8,8,8,8"])
async def test_the_inspector_header_fits_80_columns(layers):
    app = make_app(layers=layers)
    async with app.run_test(size=(80, 24)) as pilot:
        await first_frame(pilot, app)
        for _ in range(4):  # forward, loss, backward, backward: the phase line at its longest
            await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, InspectorScreen) and app.screen.trace.n_done == 4)
        await pilot.pause()
        rows = screen_rows(app)
        for i, (name, start) in enumerate((("title", " Inspector"), ("phases", " step: "), ("layers", " layer (←/→): "))):
            header = app.screen.query_one(f"#inspector-{name}")
            assert header.region.height == 1 and header.region.y == i
            assert rows[i].startswith(start)
        current = phase_name(app.screen.trace.phases[4])  # the phase the next p runs: always shown
        assert f"{current} …" in rows[1] or f"{current.replace('backward', 'back')} …" in rows[1]
        await pilot.resize_terminal(200, 60)
        await pilot.pause()
        if layers == "4,2":
            assert "step done" not in screen_rows(app)[1] and "(p: next phase)" in screen_rows(app)[1]
