"""Tests for the NetworkDiagram widget: neuron tiles, links, selection, NO_COLOR, small panels."""

from __future__ import annotations

import numpy as np
import pytest
from textual.app import App, ComposeResult

from nntui.datasets import make_dataset
from nntui.tui.colors import NEGATIVE, POSITIVE
from nntui.tui.diagram_layout import DiagramLayout
from nntui.tui.diagram_paint import TILE_RAMP, Picture, number, selection_facts
from nntui.tui.link_routing import Channel
from nntui.tui.messages import NeuronSelected
from nntui.tui.network_diagram import NetworkDiagram, diagram_grid
from nntui.tui.network_view import NetworkView

NAMES = ["x1", "x2", "x1²", "x2²"]
# The diagram's content area in the app's layout (inside its border) at common terminal sizes.
PANEL = {(80, 24): (38, 8), (100, 30): (48, 11), (120, 40): (58, 16), (200, 60): (98, 26)}


def make_net(sizes, seed=0, sign=None):
    """Random weights (all of one sign if `sign` is ±1) and biases for layer `sizes`."""
    rng = np.random.default_rng(seed)
    W = [
        rng.uniform(0.1, 1.0, size=(a, b)) * (sign or rng.choice([-1, 1], size=(a, b)))
        for a, b in zip(sizes, sizes[1:])
    ]
    b = [rng.normal(size=n) for n in sizes[1:]]
    return W, b


def fake_planes(sizes):
    """A `planes` function: neuron k of every layer shows a left-to-right ramp times (-1)^k."""

    def planes(nx: int, ny: int) -> list[np.ndarray]:
        ramp = np.tile(np.linspace(-1, 1, nx), (ny, 1))
        return [np.stack([ramp * (-1) ** k for k in range(n)]) for n in sizes]

    return planes


def text_of(grid) -> str:
    """The grid's characters, one line per row."""
    return "\n".join("".join(ch for ch, _ in row) for row in grid)


def rgb_of(color) -> tuple[int, int, int] | None:
    return None if color is None else tuple(color.get_truecolor())


def tile_pixels(grid, layout: DiagramLayout, layer: int, index: int) -> list[list[tuple[int, int, int]]]:
    """The colours of a tile's pixels (upper and lower half of each cell), top to bottom."""
    x, y, w, h = layout.tile_rect(layer, index)
    pixels = []
    for row in grid[y : y + h]:
        upper, lower = [], []
        for ch, style in row[x : x + w]:
            if ch == "▀":
                upper.append(rgb_of(style.color))
                lower.append(rgb_of(style.bgcolor))
            elif ch == "▄":
                lower.append(rgb_of(style.color))
        pixels += [p for p in (upper, lower) if p]
    return pixels


def is_orange(rgb) -> bool:
    return rgb[0] > rgb[2] + 40


def is_blue(rgb) -> bool:
    return rgb[2] > rgb[0] + 40


class DiagramApp(App):
    """A tiny app holding one diagram."""

    def __init__(self, sizes=(2, 4, 1), seed=0, planes=True) -> None:
        super().__init__()
        self.sizes = sizes
        self.seed = seed
        self.planes = planes
        self.messages: list[tuple[int | None, int | None]] = []

    def compose(self) -> ComposeResult:
        yield NetworkDiagram()

    def on_mount(self) -> None:
        W, b = make_net(self.sizes, self.seed)
        planes = fake_planes(self.sizes) if self.planes else None
        self.query_one(NetworkDiagram).set_network(self.sizes, W, b, NAMES[: self.sizes[0]], planes=planes)

    def on_neuron_selected(self, message: NeuronSelected) -> None:
        self.messages.append((message.layer, message.index))


@pytest.mark.parametrize("terminal", list(PANEL))
def test_every_neuron_of_8_8_is_a_tile_of_its_own(terminal) -> None:
    sizes = (2, 8, 8, 1)
    width, height = PANEL[terminal]
    layout = DiagramLayout.build(width, height, sizes, NAMES[:2])
    assert [len(r) for r in layout.shown] == list(sizes)  # nothing collapsed, even at 80x24
    W, b = make_net(sizes)
    grid = diagram_grid(width, height, sizes, W, b, NAMES[:2], plain=False, planes=fake_planes(sizes))
    rects = [layout.tile_rect(l, i) for l, n in enumerate(sizes) for i in range(n)]
    for l, n in enumerate(sizes):
        for i in range(n):
            pixels = tile_pixels(grid, layout, l, i)
            assert pixels and all(len(row) == layout.tile_w for row in pixels)
    # Tiles never touch: a blank row, or half of one (a tight tile's top pixel row is blank).
    for x, y, w, h in rects:
        others = [(x2, y2) for x2, y2, _, _ in rects if x2 == x and y2 > y]
        assert all(y2 >= y + h for _, y2 in others)
        if layout.tight:
            assert {grid[y][x + k][0] for k in range(w)} == {"▄"}


def test_tiles_are_playground_sized_when_there_is_room() -> None:
    layout = DiagramLayout.build(120, 60, (2, 4, 4, 1), NAMES[:2])
    assert (layout.tile_w, layout.tile_h, layout.tight) == (10, 5, False)  # 10 × 10 pixels
    assert [len(r) for r in layout.shown] == [2, 4, 4, 1]


def test_120x40_shows_heatmap_tiles_for_8_8() -> None:
    layout = DiagramLayout.build(*PANEL[(120, 40)], (2, 8, 8, 1), NAMES[:2])
    assert layout.tile_pixels >= 3 and layout.tile_w >= 4  # a picture, not a one-pixel strip


def test_six_hidden_layers_of_8_fit_at_120x40() -> None:
    sizes = (2, 8, 8, 8, 8, 8, 8, 1)
    width, height = PANEL[(120, 40)]
    layout = DiagramLayout.build(width, height, sizes, NAMES[:2])
    assert [len(r) for r in layout.shown] == list(sizes)
    assert layout.more_layers == 0 and not any(layout.markers)
    W, b = make_net(sizes)
    text = text_of(diagram_grid(width, height, sizes, W, b, NAMES[:2], plain=False, planes=fake_planes(sizes)))
    assert "more" not in text


def test_beyond_room_says_how_many_more() -> None:
    sizes = (2, 40, 8, 1)
    width, height = PANEL[(120, 40)]
    W, b = make_net(sizes)
    layout = DiagramLayout.build(width, height, sizes, NAMES[:2])
    shown = len(layout.shown[1])
    assert 0 < shown < 40
    assert f"… {40 - shown} more" in text_of(diagram_grid(width, height, sizes, W, b, NAMES[:2], plain=False))
    # Too many layers for the width: the ones beyond the edge are counted.
    deep = (2,) + (8,) * 20 + (1,)
    W, b = make_net(deep)
    layout = DiagramLayout.build(width, height, deep, NAMES[:2])
    assert layout.more_layers > 0
    text = text_of(diagram_grid(width, height, deep, W, b, NAMES[:2], plain=False))
    assert f"… {layout.more_layers} more layers" in text


def test_each_tile_shows_its_own_neurons_output() -> None:
    """Through the UI's replica of the network: neuron 0 computes tanh(x1), neuron 1 tanh(-x2)."""
    data = make_dataset("circle")
    view = NetworkView((2, 2, 1), "tanh", "tanh", data)
    view.net.set_weights([np.array([[2.0, 0.0], [0.0, -2.0]]), np.array([[1.0], [1.0]])], [np.zeros(2), np.zeros(1)])
    sizes = (2, 2, 1)
    layout = DiagramLayout.build(60, 30, sizes, NAMES[:2])
    grid = diagram_grid(60, 30, sizes, view.net.W, view.net.b, NAMES[:2], plain=False, planes=view.neuron_planes)
    left_right = tile_pixels(grid, layout, 1, 0)
    half = layout.tile_w // 2
    assert all(is_orange(p) for row in left_right for p in row[: half - 1])  # x1 < 0: negative
    assert all(is_blue(p) for row in left_right for p in row[half + 1 :])  # x1 > 0: positive
    top_bottom = tile_pixels(grid, layout, 1, 1)
    assert all(is_orange(p) for p in top_bottom[0]) and all(is_blue(p) for p in top_bottom[-1])
    # The input tiles show the features themselves: x1 runs left to right.
    x1 = tile_pixels(grid, layout, 0, 0)
    assert is_orange(x1[0][0]) and is_blue(x1[0][-1])


def test_planes_come_from_one_forward_pass() -> None:
    data = make_dataset("circle")
    view = NetworkView((2, 8, 8, 1), "tanh", "tanh", data)
    calls = []
    forward = view.net.forward
    view.net.forward = lambda x, *a: (calls.append(len(x)), forward(x, *a))[1]
    planes = view.neuron_planes(6, 5)
    assert calls == [30]
    assert [p.shape for p in planes] == [(2, 5, 6), (8, 5, 6), (8, 5, 6), (1, 5, 6)]
    assert all(np.abs(p).max() <= 1.0 for p in planes)


def test_links_colour_by_sign_and_heavier_for_larger_weights() -> None:
    sizes = (2, 2, 1)
    W = [np.array([[1.0, 0.1], [0.0, 0.0]]), np.array([[-1.0], [0.0]])]
    b = [np.zeros(2), np.zeros(1)]
    grid = diagram_grid(60, 30, sizes, W, b, NAMES[:2], plain=False)
    layout = DiagramLayout.build(60, 30, sizes, NAMES[:2])
    strong = layout.channels[0]
    y = strong.sources[0]
    stub = grid[y][strong.x0]  # where x1's links leave its tile: the strong positive one on top
    assert stub[0] in "━┳┻╋┓┛" and rgb_of(stub[1].color) == POSITIVE
    out = layout.channels[1]
    end = grid[out.targets[0]][out.x1]  # where links enter the output tile: the strong negative one
    assert rgb_of(end[1].color) == NEGATIVE
    # The weak link (0.1) is drawn light and dimmer than the full colour.
    route_x, route_y, _ = strong.route(0, 1)
    cells = {grid[yy][xx] for xx, yy in zip(route_x.tolist(), route_y.tolist())}
    weak = [s for ch, s in cells if ch in "─│╭╮╰╯" and s is not None]
    assert weak and all(rgb_of(s.color) != POSITIVE for s in weak)


def test_links_run_orthogonally_and_connect_their_tiles() -> None:
    channel = Channel(10, 20, (2, 8, 14), (4, 11))
    for i in range(3):
        for j in range(2):
            xs, ys, bits = channel.route(i, j)
            assert (xs[0], ys[0]) == (10, channel.sources[i]) and (xs[-1], ys[-1]) == (20, channel.targets[j])
            steps = np.abs(np.diff(xs)) + np.abs(np.diff(ys))
            assert set(steps.tolist()) == {1}  # one cell at a time, no diagonals
    # The links into one neuron turn in lanes of their own: none runs along another.
    lanes = [channel.lane(i, 0) for i in range(3)]
    assert len(set(lanes)) == 3


async def test_selected_neuron_is_framed_and_only_its_links_shown() -> None:
    app = DiagramApp((2, 4, 4, 1))
    async with app.run_test(size=(80, 30)) as pilot:
        diagram = app.query_one(NetworkDiagram)
        await pilot.pause()
        before = text_of(diagram.grid())
        diagram.selected = (1, 2)
        await pilot.pause()
        grid = diagram.grid()
        layout = diagram.layout_info
        x, y, w, h = layout.tile_rect(1, 2)
        assert grid[y][x - 1][0] in "┃┫" and grid[y][x + w][0] in "┃┣"
        assert grid[y][x - 1][1].bold
        # Into the channel on its right go its 4 links only, one lane each.
        channel = layout.channels[1]
        lanes = {channel.lane(2, j) for j in range(4)}
        drawn = {xx for xx in range(channel.x0 + 1, channel.x1) for yy in range(layout.height)
                 if grid[yy][xx][0] in "│┃╎╏"}
        assert drawn <= lanes
        assert text_of(grid) != before
        assert diagram.border_subtitle.startswith("layer 1 neuron 3 · bias ")  # its numbers, under the diagram


def test_no_color_shows_tiles_links_and_numbers_in_characters() -> None:
    sizes = (2, 4, 1)
    W = [np.array([[1.0, -1.0, 0.1, -0.1], [0.5, -0.5, 0.2, -0.2]]), np.array([[1.0], [-1.0], [0.3], [-0.3]])]
    b = [np.array([1.0, -1.0, 0.0, 0.5]), np.array([-0.2])]
    grid = diagram_grid(60, 30, sizes, W, b, NAMES[:2], selected=(1, 0), plain=True, planes=fake_planes(sizes))
    styles = [s for row in grid for _, s in row if s is not None]
    assert all(s.color is None and s.bgcolor is None for s in styles)
    layout = DiagramLayout.build(60, 30, sizes, NAMES[:2])
    x, y, w, h = layout.tile_rect(1, 1)
    tile = "".join(ch for row in grid[y : y + h] for ch, _ in row[x : x + w])
    assert set(tile) <= set(TILE_RAMP) and tile[0] != tile[w - 1]  # a ramp across the tile
    text = text_of(grid)
    assert "━" in text or "─" in text  # positive links solid …
    grid = diagram_grid(60, 30, sizes, W, b, NAMES[:2], plain=True, planes=fake_planes(sizes))
    assert {"╍", "╌"} & set(text_of(grid))  # … negative ones dashed
    facts = selection_facts(layout, Picture(W, b, selected=(1, 0)))  # the selected neuron's numbers
    assert facts == "layer 1 neuron 1 · bias +1.0 · w in +1.0 +0.50"


def test_numbers_have_one_format() -> None:
    assert [number(v) for v in (0.73, -0.62, 0.5, -1.234, 12.3, 0.0, -0.0042)] == [
        "+0.73", "-0.62", "+0.50", "-1.2", "+12", "0", "-0.0042"]
    assert [number(v, 4) for v in (0.73, -0.62, 1.25, 12345.0)] == ["+0.7", "-0.6", "+1.2", ""]  # less room: one digit


async def test_80x24_shows_every_neuron_and_lets_each_be_selected() -> None:
    app = DiagramApp((2, 16, 16, 1))
    async with app.run_test(size=PANEL[(80, 24)]) as pilot:
        diagram = app.query_one(NetworkDiagram)
        diagram.focus()
        await pilot.pause()
        layout = diagram.layout_info
        assert len(layout.shown[1]) < 16 and layout.markers[1]  # 16 do not fit in 8 rows: a window
        await pilot.press("right", "right")
        for _ in range(15):
            await pilot.press("down")
        await pilot.pause()
        assert diagram.selected == (1, 15)
        layout = diagram.layout_info
        assert layout.tile_rect(1, 15) is not None  # the window followed the selection
        first = layout.shown[1].start
        assert first > 0 and [text for _, _, text in layout.markers[1]] == [f"↑ {first} more"]  # the rest above
        assert app.messages[-1] == (1, 15)


def test_image_inputs_are_one_tile() -> None:
    sizes = (64, 10, 10)
    W, b = make_net(sizes)
    layout = DiagramLayout.build(58, 16, sizes, [f"p{k}" for k in range(64)])
    assert layout.bundle and len(layout.channels[0].sources) == 1
    text = text_of(diagram_grid(58, 16, sizes, W, b, [f"p{k}" for k in range(64)], plain=False))
    assert "image 8×8" in text and "64 inputs" in text and "p63" not in text


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


async def test_click_selects_neuron_and_hover_shows_its_links() -> None:
    app = DiagramApp((2, 4, 1))
    async with app.run_test(size=(70, 22)) as pilot:
        await pilot.pause()
        diagram = app.query_one(NetworkDiagram)
        x, y, w, h = diagram.layout_info.tile_rect(1, 3)
        assert diagram.neuron_at(x + w // 2, y + h // 2) == (1, 3)
        await pilot.hover(NetworkDiagram, offset=(x + w // 2, y + h // 2))
        await pilot.pause()
        assert diagram.hovered == (1, 3)
        await pilot.click(NetworkDiagram, offset=(x + w // 2, y + h // 2))
        await pilot.pause()
        assert diagram.selected == (1, 3)
        assert app.messages[-1] == (1, 3)


@pytest.mark.parametrize("size", [(0, 0), (1, 1), (5, 3), (10, 4), (3, 40), (200, 2)])
@pytest.mark.parametrize("sizes", [(2, 1), (4, 8, 8, 1), (3, 4096, 1), (2, 6, 6, 6, 6, 6, 6, 2), (64, 32, 10)])
def test_any_size_renders(size, sizes) -> None:
    W, b = make_net(sizes)
    grid = diagram_grid(*size, sizes, W, b, NAMES[:3], plain=False, planes=fake_planes(sizes))
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


def test_probe_values_on_boxes_and_tiles() -> None:
    """The inspector's diagram has no planes: boxes filled by the activation, which is written in them."""
    sizes = (2, 4, 1)
    W, b = make_net(sizes)
    acts = [np.array([0.5, -1.0]), np.array([0.25, -0.5, 0.0, 1.0]), np.array([0.75])]
    text = text_of(diagram_grid(60, 30, sizes, W, b, NAMES[:2], activations=acts, plain=False))
    assert "+0.25" in text and "-0.50" in text
    # With tiles, the probe's values are written over them, as far as they fit (120x40: one digit).
    sizes = (2, 8, 8, 1)
    W, b = make_net(sizes)
    acts = [np.linspace(-0.9, 0.9, n) for n in sizes]
    text = text_of(diagram_grid(*PANEL[(120, 40)], sizes, W, b, NAMES[:2], activations=acts, planes=fake_planes(sizes)))
    assert text.count("-0.9") == 4 and text.count("+0.6") == 2  # one digit: the tiles are 4 wide


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
    app = DiagramApp((2, 4, 1), planes=False)
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
