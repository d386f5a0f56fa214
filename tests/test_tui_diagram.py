"""Tests for the NetworkDiagram widget and its pure grid renderer."""

from __future__ import annotations

import numpy as np
import pytest
from textual.app import App, ComposeResult

from nntui.tui.colors import NEGATIVE, POSITIVE, hex_color
from nntui.tui.network_diagram import DiagramLayout, NetworkDiagram, diagram_grid, link_path

NAMES = ["x1", "x2", "x1²", "x2²"]


def make_net(sizes, seed=0, sign=None):
    """Random weights (all of one sign if `sign` is ±1) and biases for layer `sizes`."""
    rng = np.random.default_rng(seed)
    W = [
        rng.uniform(0.1, 1.0, size=(a, b)) * (sign or rng.choice([-1, 1], size=(a, b)))
        for a, b in zip(sizes, sizes[1:])
    ]
    b = [rng.normal(size=n) for n in sizes[1:]]
    return W, b


def text_of(grid) -> str:
    """The grid's characters, one line per row."""
    return "\n".join("".join(ch for ch, _ in row) for row in grid)


def color_of(style) -> str | None:
    """'#rrggbb' of a style's foreground colour, or None."""
    if style is None or style.color is None:
        return None
    return hex_color(style.color.get_truecolor())


def link_cells(grid, layout: DiagramLayout, layer: int):
    """(char, style) of every non-blank cell strictly between the boxes of `layer` and `layer + 1`."""
    x0 = layout.columns[layer] + layout.box_width
    x1 = layout.columns[layer + 1]
    rows = grid[: layout.size_row]  # leave out the layer-size row at the bottom
    return [row[x] for row in rows for x in range(x0, x1) if row[x][0] != " "]


class DiagramApp(App):
    """A tiny app holding one diagram."""

    def __init__(self, sizes=(2, 4, 1), seed=0) -> None:
        super().__init__()
        self.sizes = sizes
        self.seed = seed
        self.messages: list[tuple[int | None, int | None]] = []

    def compose(self) -> ComposeResult:
        yield NetworkDiagram()

    def on_mount(self) -> None:
        W, b = make_net(self.sizes, self.seed)
        self.query_one(NetworkDiagram).set_network(self.sizes, W, b, NAMES[: self.sizes[0]])

    def on_network_diagram_neuron_selected(self, message: NetworkDiagram.NeuronSelected) -> None:
        self.messages.append((message.layer, message.index))


async def test_shows_labels_and_boxes() -> None:
    app = DiagramApp((2, 4, 1))
    async with app.run_test(size=(70, 22)) as pilot:
        await pilot.pause()
        diagram = app.query_one(NetworkDiagram)
        text = text_of(diagram.grid())
        assert "x1" in text and "x2" in text
        layout = diagram.layout_info
        assert [len(r) for r in layout.rows] == [2, 4, 1]
        assert "4 neurons" in text
        # The rendered screen shows the boxes' fill (bias colour) as the background.
        lines = [diagram.render_line(y) for y in range(diagram.size.height)]
        x, y = layout.columns[1], layout.rows[1][0]
        segment_bg = [seg.style.bgcolor for seg in lines[y] if seg.style and seg.style.bgcolor is not None]
        assert segment_bg, "hidden neuron boxes should have a fill colour"
        assert diagram.neuron_at(x, y) == (1, 0)


def test_link_colour_by_sign_and_glyph_by_magnitude() -> None:
    sizes = (2, 4, 1)
    W = [np.full((2, 4), 0.8), np.full((4, 1), -0.8)]
    b = [np.zeros(4), np.zeros(1)]
    grid = diagram_grid(70, 22, sizes, W, b, NAMES[:2], plain=False)
    layout = DiagramLayout.build(70, 22, sizes, NAMES[:2])
    first, second = link_cells(grid, layout, 0), link_cells(grid, layout, 1)
    assert first and second
    assert {color_of(s) for _, s in first} == {hex_color(POSITIVE)}
    assert {color_of(s) for _, s in second} == {hex_color(NEGATIVE)}
    # highlight_layer=0 keeps layer 0 at full colour and dims the others.
    grid = diagram_grid(70, 22, sizes, W, b, NAMES[:2], highlight_layer=0, plain=False)
    assert {color_of(s) for _, s in link_cells(grid, layout, 0)} == {hex_color(POSITIVE)}
    assert hex_color(NEGATIVE) not in {color_of(s) for _, s in link_cells(grid, layout, 1)}

    # One strong and one weak positive link: the strong one is heavy, the weak one light and dimmer.
    W = [np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.1]]), np.zeros((4, 1))]
    grid = diagram_grid(70, 22, sizes, W, b, NAMES[:2], plain=False)
    cells = link_cells(grid, layout, 0)
    heavy = {ch for ch, s in cells if color_of(s) == hex_color(POSITIVE)}
    assert "━" in heavy and "─" not in heavy
    strong_row = layout.rows[0][0]
    weak_row = layout.rows[0][1]
    x = layout.columns[0] + layout.box_width  # the stub leaving each input box
    assert grid[strong_row][x][0] == "━"
    weak_char, weak_style = grid[weak_row][x]
    assert weak_char == "─"
    r, g, b_ = weak_style.color.get_truecolor()
    assert b_ > r  # still blue-ish, but dimmer than the full colour
    assert (r, g, b_) != POSITIVE


def test_link_path_connects_endpoints() -> None:
    for y1 in (0, 1, 3, 9, -7):
        xs, ys, kinds = link_path(10, 0, 20, y1)
        assert (xs[0], ys[0]) == (10, 0) and (xs[-1], ys[-1]) == (20, y1)
        steps = np.abs(np.diff(xs)) + np.abs(np.diff(ys))
        assert steps.max() <= 2  # 8-connected: no gaps


async def test_collapses_wide_layers() -> None:
    app = DiagramApp((2, 300, 1))
    async with app.run_test(size=(70, 22)) as pilot:
        await pilot.pause()
        diagram = app.query_one(NetworkDiagram)
        text = text_of(diagram.grid())
        shown = len(diagram.layout_info.rows[1])
        assert 0 < shown < 300
        assert f"… {300 - shown} more" in text


def test_thins_dense_links() -> None:
    sizes = (2, 128, 128, 1)
    W, b = make_net(sizes)
    layout = DiagramLayout.build(100, 30, sizes, NAMES[:2])
    assert layout.thin[1] > 0
    assert "strongest" in text_of(layout.paint(W, b))


@pytest.mark.parametrize("size", [(0, 0), (1, 1), (5, 3), (10, 4), (3, 40), (200, 2)])
@pytest.mark.parametrize("sizes", [(2, 1), (4, 8, 8, 1), (3, 4096, 1), (2, 6, 6, 6, 6, 6, 6, 2)])
def test_any_size_renders(size, sizes) -> None:
    W, b = make_net(sizes)
    grid = diagram_grid(*size, sizes, W, b, NAMES[:3], plain=False)
    assert len(grid) == size[1] and all(len(row) == size[0] for row in grid)


async def test_tiny_terminal_does_not_crash() -> None:
    app = DiagramApp((4, 8, 8, 1))
    async with app.run_test(size=(70, 22)) as pilot:
        await pilot.pause()
        await pilot.resize_terminal(10, 4)
        await pilot.pause()
        await pilot.resize_terminal(5, 3)
        await pilot.pause()
        await pilot.resize_terminal(70, 22)
        await pilot.pause()
        assert "x1" in text_of(app.query_one(NetworkDiagram).grid())


async def test_keyboard_selection() -> None:
    app = DiagramApp((2, 4, 1))
    async with app.run_test(size=(70, 22)) as pilot:
        diagram = app.query_one(NetworkDiagram)
        diagram.focus()
        await pilot.pause()
        await pilot.press("right")  # nothing selected yet: starts at the first input
        await pilot.press("right")
        await pilot.press("down")
        await pilot.press("down")
        await pilot.pause()
        assert diagram.selected == (1, 2)
        await pilot.press("escape")
        await pilot.pause()
        assert diagram.selected is None
        assert app.messages == [(0, 0), (1, 0), (1, 1), (1, 2), (None, None)]


async def test_click_selects_neuron() -> None:
    app = DiagramApp((2, 4, 1))
    async with app.run_test(size=(70, 22)) as pilot:
        await pilot.pause()
        diagram = app.query_one(NetworkDiagram)
        x, y = diagram.layout_info.box_center(1, 3)
        assert diagram.neuron_at(x, y) == (1, 3)
        await pilot.click(NetworkDiagram, offset=(x, y))
        await pilot.pause()
        assert diagram.selected == (1, 3)
        assert app.messages[-1] == (1, 3)
        row = diagram.grid()[y]
        box = row[diagram.layout_info.columns[1] : diagram.layout_info.columns[1] + diagram.layout_info.box_width]
        assert any(style is not None and style.bold for _, style in box)


def test_no_color_mode(monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    sizes = (2, 4, 1)
    W = [np.array([[1.0, -1.0, 0.1, -0.1], [0.5, -0.5, 0.2, -0.2]]), np.array([[1.0], [-1.0], [0.3], [-0.3]])]
    b = [np.array([1.0, -1.0, 0.0, 0.5]), np.array([-0.2])]
    grid = diagram_grid(70, 22, sizes, W, b, NAMES[:2], selected=(1, 0))
    styles = [s for row in grid for _, s in row if s is not None]
    assert all(s.color is None and s.bgcolor is None for s in styles)
    chars = set(text_of(grid))
    assert {"━", "╍"} <= chars  # strong positive / strong negative links differ by glyph
    layout = DiagramLayout.build(70, 22, sizes, NAMES[:2])
    x = layout.columns[1]
    boxes = ["".join(ch for ch, _ in grid[y][x : x + layout.box_width]) for y in layout.rows[1]]
    assert [box.strip("[] ") for box in boxes] == ["+", "-", "0", "+"]


def test_activations_shown_in_boxes() -> None:
    sizes = (2, 4, 1)
    W, b = make_net(sizes)
    acts = [np.array([0.5, -1.0]), np.array([0.25, -0.5, 0.0, 1.0]), np.array([0.75])]
    grid = diagram_grid(70, 22, sizes, W, b, NAMES[:2], activations=acts, plain=False)
    assert "0.25" in text_of(grid) or ".25" in text_of(grid)


async def test_new_network_and_highlight() -> None:
    app = DiagramApp((2, 4, 1))
    async with app.run_test(size=(70, 22)) as pilot:
        diagram = app.query_one(NetworkDiagram)
        diagram.selected = (1, 3)
        diagram.highlight_layer = 1
        await pilot.pause()
        W, b = make_net((3, 2, 2, 1), seed=1)
        diagram.set_network((3, 2, 2, 1), W, b, ["a", "b", "c"])
        await pilot.pause()
        assert diagram.selected is None  # (1, 3) no longer exists
        assert diagram.highlight_layer == 1
        assert "a" in text_of(diagram.grid())


async def test_new_weights_repaint_only_the_rows_that_changed() -> None:
    app = DiagramApp((2, 4, 1))
    async with app.run_test(size=(70, 22)) as pilot:
        await pilot.pause()
        diagram = app.query_one(NetworkDiagram)
        sizes = (2, 4, 1)
        W, b = make_net(sizes, 0)
        rows = diagram.size.height
        before = [diagram.render_line(y) for y in range(rows)]
        repaints = []
        refresh = diagram.refresh
        diagram.refresh = lambda *regions, **kwargs: (repaints.append(regions), refresh(*regions, **kwargs))[1]
        diagram.set_network(sizes, [w.copy() for w in W], [x.copy() for x in b], NAMES[:2])  # the same numbers
        assert all(diagram.render_line(y) == before[y] for y in range(rows))
        assert repaints == []  # nothing to repaint
        W[1][3, 0] = -W[1][3, 0]  # one link flips colour: the rows it crosses change, the others do not
        diagram.set_network(sizes, W, b, NAMES[:2])
        after = [diagram.render_line(y) for y in range(rows)]
        changed = {y for y in range(rows) if after[y] != before[y]}
        assert changed and len(changed) < rows
        assert len(repaints) == 1 and {region.y for region in repaints[0]} == changed  # those rows only
        await pilot.pause()
