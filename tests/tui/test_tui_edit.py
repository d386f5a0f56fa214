"""Editing by hand in the TUI: w sets a bias or a weight of the selected neuron, z switches it
off and on; the replica, the heatmap, the diagram, the history and the model file follow."""

from __future__ import annotations

import time

import numpy as np
import pytest

from nntui.engine import load_model
from nntui.session import build_session, read_model
from nntui.settings import merge
from nntui.tui.app import NNTuiApp
from nntui.tui.diagram_layout import DiagramLayout
from nntui.tui.diagram_paint import LEVELS, Picture, _link_style, paint
from nntui.tui.edit_dialog import EditDialog, parse_value
from nntui.tui.heatmap import Heatmap
from nntui.tui.network_diagram import NetworkDiagram

XOR = dict(dataset="xor", layers="4", seed=2)


def make_app(**options) -> NNTuiApp:
    return NNTuiApp(build_session(merge({"paused": True, **XOR, **options})))


async def wait_for(pilot, condition, timeout: float = 30.0) -> None:
    """Let the app run until condition() holds (fails the test after timeout seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        await pilot.pause(0.01)


def grid_text(app: NNTuiApp) -> str:
    return "\n".join("".join(ch for ch, _ in row) for row in app.dashboard.diagram.grid())


def notes(app: NNTuiApp) -> list[str]:
    return [n.message for n in app._notifications]


async def select(pilot, layer: int, index: int) -> None:
    """Select a neuron on the diagram with the keys: Tab, then the arrows."""
    app = pilot.app
    await wait_for(pilot, lambda: app.latest is not None and app.dashboard.drawn)
    await pilot.press("tab")
    assert app.focused is app.dashboard.diagram
    await pilot.press("down")  # the first key selects the first input
    await pilot.press(*["right"] * layer, *["down"] * index)
    await wait_for(pilot, lambda: app.selected == (layer, index))


async def test_w_sets_the_bias_of_the_selected_neuron_and_the_heatmap_follows_at_once():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, 1, 2)
        heatmap = app.query_one(Heatmap)
        before = heatmap.values.copy()
        await pilot.press("w")
        dialog = app.screen
        assert isinstance(dialog, EditDialog)
        assert dialog.chosen.name == "bias of layer 1 neuron 3"
        assert [p.name for p in dialog.params[1:3]] == ["x1 → layer 1 neuron 3", "x2 → layer 1 neuron 3"]
        assert dialog.params[-1].name == "layer 1 neuron 3 → output neuron 1"
        await pilot.press("3", "enter")
        await wait_for(pilot, lambda: app.latest.snapshot.b[0][2] == 3.0)
        await wait_for(pilot, lambda: app.view.net.b[0][2] == 3.0 and not np.array_equal(heatmap.values, before))
        assert app.state == "paused" and app.latest.snapshot.epoch == 0  # no training was needed
        assert isinstance(app.screen, EditDialog)  # still open, for the next value
        assert "set bias of layer 1 neuron 3 to 3" in str(dialog.query_one("#message").render())
        await pilot.press("escape")
        assert not isinstance(app.screen, EditDialog)


async def test_w_sets_a_weight_chosen_with_the_arrows_while_running():
    app = make_app(paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest is not None and app.latest.running and app.dashboard.drawn)
        await pilot.press(*["less_than_sign"] * 4)  # 3 epochs a second: the edit is not trained away at once
        app.dashboard.diagram.selected = (2, 0)  # the output neuron (a click would do the same)
        await wait_for(pilot, lambda: app.selected == (2, 0))
        await pilot.press("w")
        dialog = app.screen
        assert isinstance(dialog, EditDialog)
        await pilot.press("down", "down", "down")  # bias, neuron 1, 2, 3
        assert dialog.chosen.name == "layer 1 neuron 3 → output neuron 1"
        await wait_for(pilot, lambda: app.dashboard.diagram.link == (1, 2, 0))  # the link stands out on the diagram
        assert abs(app.latest.snapshot.W[1][2, 0] + 2.5) > 1
        await pilot.press("end", "ctrl+u", *"-2.5", "enter")
        # Training goes on, so the weight moves on from -2.5 (a little, at this pace).
        await wait_for(pilot, lambda: abs(app.latest.snapshot.W[1][2, 0] + 2.5) < 0.5)
        assert app.state == "running" and app.latest.running
        await pilot.press("escape")
        assert app.dashboard.diagram.link is None


@pytest.mark.parametrize("typed, said", [("abc", "not a number"), ("inf", "finite"), ("nan", "finite"),
                                         ("", "type a number"), ("1e9", "between")])
async def test_bad_input_in_the_dialog_is_a_one_line_message(typed, said):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await select(pilot, 1, 0)
        bias = float(app.latest.snapshot.b[0][0])
        await pilot.press("w", "end", "ctrl+u", *typed, "enter")
        dialog = app.screen
        assert isinstance(dialog, EditDialog)
        message = str(dialog.query_one("#message").render())
        assert said in message and "\n" not in message.strip()
        assert dialog.query_one("#message").has_class("-problem")
        await pilot.pause(0.1)
        assert float(app.latest.snapshot.b[0][0]) == bias  # nothing was sent


def test_parse_value_reads_signs_and_refuses_the_rest():
    assert parse_value(" −1.5 ") == (-1.5, "")
    assert parse_value("2e-3")[0] == 0.002
    assert parse_value("1,5")[0] is None


async def test_z_switches_a_neuron_off_while_running_and_its_weights_out_stay_zero():
    app = make_app(paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, 1, 1)
        await pilot.press("z")
        await wait_for(pilot, lambda: app.latest.snapshot.off == ((1, 1),))
        start = app.latest.snapshot.epoch
        await wait_for(pilot, lambda: app.latest.snapshot.epoch >= start + 20 and app.dashboard.drawn)
        snap = app.latest.snapshot
        assert app.state == "running"
        assert np.all(snap.W[1][1] == 0.0) and np.any(snap.W[1][0] != 0.0)
        assert any("switched off" in n for n in notes(app))
        await wait_for(pilot, lambda: "off" in grid_text(app) and "off" in str(app.dashboard.diagram.border_subtitle))
        # The dialog shows its weight out as held, and refuses to set it.
        await pilot.press("w")
        dialog = app.screen
        held = [p for p in dialog.params if p.held]
        assert [p.name for p in held] == ["layer 1 neuron 2 → output neuron 1"]
        await pilot.press("escape", "z")  # on again: it learns again
        await wait_for(pilot, lambda: app.latest.snapshot.off == ())
        await wait_for(pilot, lambda: np.any(app.latest.snapshot.W[1][1] != 0.0))


async def test_a_held_weight_is_refused_in_the_dialog():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, 1, 0)
        await pilot.press("z")
        await wait_for(pilot, lambda: app.latest.snapshot.off == ((1, 0),))
        await pilot.press("w", "up", *["down"] * 3)  # bias, x1, x2, then the weight out
        dialog = app.screen
        assert dialog.chosen.held
        await pilot.press("end", "ctrl+u", "4", "enter")
        assert "switched off" in str(dialog.query_one("#message").render())
        await pilot.pause(0.1)
        assert app.latest.snapshot.W[1][0, 0] == 0.0


async def test_z_on_the_output_and_w_without_a_selection_say_why_not():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest is not None and app.dashboard.drawn)
        await pilot.press("w")
        assert not isinstance(app.screen, EditDialog)
        assert any("Select a neuron first" in n for n in notes(app))
        app.dashboard.diagram.selected = (2, 0)
        await wait_for(pilot, lambda: app.selected == (2, 0))
        await pilot.press("z")
        await pilot.pause(0.1)
        assert any("no weights out" in n for n in notes(app)) and app.latest.snapshot.off == ()


async def test_rewinding_shows_the_weights_before_and_after_an_edit():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, 1, 0)
        await pilot.press("s", "s")
        await wait_for(pilot, lambda: app.latest.snapshot.epoch == 2)
        original = float(app.latest.snapshot.b[0][0])
        await pilot.press("w", "end", "ctrl+u", *"1.25", "enter", "escape")
        await wait_for(pilot, lambda: app.latest.snapshot.b[0][0] == 1.25)
        await pilot.press("z")
        await wait_for(pilot, lambda: app.latest.snapshot.off == ((1, 0),))
        await pilot.press("s", "s")
        await wait_for(pilot, lambda: app.latest.snapshot.epoch == 4)
        await pilot.press("left_square_bracket", "left_square_bracket")
        await wait_for(pilot, lambda: app.view_epoch == 2)
        await wait_for(pilot, lambda: app.view.net.b[0][0] == 1.25)  # epoch 2 as edited
        assert app.dashboard.diagram._off == ((1, 0),) and "off" in grid_text(app)
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: app.view_epoch == 1)
        assert app.view.net.b[0][0] != 1.25 and app.dashboard.diagram._off == ()
        assert original != 1.25
        await pilot.press("end")
        await wait_for(pilot, lambda: app.view_epoch is None)


async def test_the_mask_is_saved_with_the_model_and_load_restores_it(tmp_path):
    path = tmp_path / "m.npz"
    app = make_app(save=str(path))
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, 1, 3)
        await pilot.press("z")
        await wait_for(pilot, lambda: app.latest.snapshot.off == ((1, 3),))
        await pilot.press("s")
        await wait_for(pilot, lambda: app.latest.snapshot.epoch == 1)
    W, _, settings = load_model(path)
    assert settings["off"] == [[1, 3]] and np.all(W[1][3] == 0.0)
    saved, weights = read_model(str(path))
    loaded = NNTuiApp(build_session(merge({**saved, "paused": True}), weights), weights)
    async with loaded.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: loaded.latest is not None)
        assert loaded.latest.snapshot.off == ((1, 3),)
        await pilot.press("s")
        await wait_for(pilot, lambda: loaded.latest.snapshot.epoch == 1)
        assert np.all(loaded.latest.snapshot.W[1][3] == 0.0)
        await pilot.press("r")  # a reset goes back to the loaded model, mask and all
        await wait_for(pilot, lambda: loaded.latest is not None and loaded.latest.snapshot.epoch == 0)
        assert loaded.latest.snapshot.off == ((1, 3),)


async def test_no_color_marks_a_switched_off_neuron_with_characters(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await select(pilot, 1, 1)
        await pilot.press("z")
        await wait_for(pilot, lambda: app.latest.snapshot.off == ((1, 1),))
        await wait_for(pilot, lambda: app.dashboard.diagram._off == ((1, 1),))
        text = grid_text(app)
        assert "off" in text or "×" in text
        assert "off (z: on)" in str(app.dashboard.diagram.border_subtitle)


async def test_the_palette_offers_both_keys():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        titles = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert "by hand" in titles["Set a weight by hand (w)"]
        assert "off" in titles["Switch a neuron off/on (z)"]
        assert app.query_one(NetworkDiagram) is app.dashboard.diagram


def test_the_link_being_edited_is_drawn_at_full_strength_and_the_others_faint():
    sizes, names = (2, 3, 1), ("x1", "x2")
    W = [np.full((2, 3), 0.5), np.array([[0.2], [0.3], [1.0]])]
    b = [np.zeros(3), np.zeros(1)]
    layout = DiagramLayout.build(60, 16, sizes, names)

    def levels(link):
        grid = paint(layout, Picture(W, b, selected=(2, 0), link=link))
        styles = {style for row in grid for _, style in row}
        return {level for level in range(LEVELS + 1) if _link_style(1, level, False) in styles}

    # Level 0: the first layer's links, out of focus; the output's links in focus, the weak ones at 2.
    assert levels(None) == {0, 2, LEVELS}
    assert levels((1, 1, 0)) == {0, 1, LEVELS}  # 0.3 at full strength, the others faint


async def test_image_data_an_image_tile_is_refused_and_a_hidden_neuron_lists_its_pixels():
    app = NNTuiApp(build_session(merge({"paused": True, "dataset": "digits", "layers": "12", "loss": "ce"})))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest is not None and app.dashboard.drawn)
        app.dashboard.select((0, 0))
        await pilot.press("z")
        await pilot.pause(0.1)
        assert any("pixels are too many" in n for n in notes(app)) and app.latest.snapshot.off == ()
        app.dashboard.select((1, 4))
        await pilot.press("w")
        dialog = app.screen
        assert isinstance(dialog, EditDialog)
        assert len(dialog.params) == 1 + 64 + 10
        await pilot.press("escape", "z")
        await wait_for(pilot, lambda: app.latest.snapshot.off == ((1, 4),))


async def test_an_edit_on_a_rewound_epoch_goes_on_from_there_but_only_once_a_value_is_set():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, 1, 1)
        await pilot.press("s", "s", "s")
        await wait_for(pilot, lambda: app.latest.snapshot.epoch == 3)
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: app.view_epoch == 2)
        await pilot.press("w", "escape")  # looked, changed nothing: still rewound, nothing dropped
        assert app.view_epoch == 2 and app.latest.snapshot.epoch == 3
        await pilot.press("w", "end", "ctrl+u", "2", "enter")
        await wait_for(pilot, lambda: app.latest.snapshot.epoch == 2 and app.latest.snapshot.b[0][1] == 2.0)
        assert app.view_epoch is None
