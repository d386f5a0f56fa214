"""Tests for the half-block widgets: Heatmap, DigitsView, ConfusionMatrix and their pure helpers."""

from __future__ import annotations

import numpy as np
import pytest
from textual.app import App, ComposeResult

from nntui.session import build_session
from nntui.settings import merge
from nntui.tui.app import NNTuiApp
from nntui.tui.colors import CHAR_RAMP, CLASS_COLORS, NEGATIVE, NEUTRAL, POSITIVE
from nntui.tui.confusion import ConfusionMatrix, confusion_matrix
from nntui.tui.digits_view import DigitsView
from nntui.tui.halfblock import UPPER_HALF, pixels_to_strips
from nntui.tui.heatmap import (
    MIN_PLANE,
    TEST_GLYPHS,
    TEST_OUTLINE,
    TRAIN_GLYPHS,
    TRAIN_OUTLINE,
    Heatmap,
    field_chars,
    field_colors,
    plane_layout,
    tick_label,
)
from tests.tui.helpers import cells, rgb

BOUNDS = (-6.0, 6.0, -6.0, 6.0)


# ---------------------------------------------------------------- pure functions


def test_field_colors_binary_ends_and_middle() -> None:
    out = field_colors(np.array([[-1.0, 0.0, 1.0], [-5.0, 0.0, 5.0]]), "binary", 2)
    assert out.shape == (2, 3, 3) and out.dtype == np.uint8
    assert tuple(out[0, 0]) == NEGATIVE and tuple(out[0, 1]) == NEUTRAL and tuple(out[0, 2]) == POSITIVE
    assert tuple(out[1, 0]) == NEGATIVE and tuple(out[1, 2]) == POSITIVE  # clipped


def test_field_colors_non_finite_is_neutral() -> None:
    out = field_colors(np.array([[np.nan, np.inf, -np.inf, 0.5]]), "binary", 2)
    assert [tuple(c) for c in out[0, :3]] == [NEUTRAL] * 3
    assert field_colors(np.full((2, 2), np.nan), "neuron", 2).shape == (2, 2, 3)
    assert field_colors(np.full((2, 2, 3), np.nan), "multiclass", 3).shape == (2, 2, 3)


def test_field_colors_neuron_normalises_by_max_abs() -> None:
    out = field_colors(np.array([[-0.01, 0.0, 0.02]]), "neuron", 2)
    assert tuple(out[0, 2]) == POSITIVE and tuple(out[0, 1]) == NEUTRAL
    assert out[0, 0].tolist() != list(NEUTRAL)  # -0.5 after scaling: clearly orange-ish
    assert tuple(field_colors(np.array([[0.02]]), "regression", 2)[0, 0]) != POSITIVE  # regression is not rescaled


def test_field_colors_multiclass_argmax_and_confidence() -> None:
    probs = np.array([[[0.0, 0.0, 1.0], [0.9999, 0.0, 0.0001], [1 / 3, 1 / 3, 1 / 3]]])
    out = field_colors(probs, "multiclass", 3)
    assert tuple(out[0, 0]) == CLASS_COLORS[2]
    assert tuple(out[0, 1]) == CLASS_COLORS[0]
    assert tuple(out[0, 2]) == NEUTRAL  # no confidence: pale


def test_field_chars_ramp_and_classes() -> None:
    chars = field_chars(np.array([[-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0]]), "binary", 2)
    assert chars.shape == (1, 3)
    assert chars[0, 0] == CHAR_RAMP[0] and chars[0, 2] == CHAR_RAMP[-1] and chars[0, 1] not in (CHAR_RAMP[0], CHAR_RAMP[-1])
    probs = np.array([[[0, 1, 0], [0.34, 0.33, 0.33]], [[0, 1, 0], [0.34, 0.33, 0.33]]], dtype=float)
    assert field_chars(probs, "multiclass", 3).tolist() == [["1", "."]]


def test_pixels_to_strips_groups_runs() -> None:
    pixels = np.zeros((2, 5, 3), np.uint8)
    pixels[0, :3] = NEGATIVE
    pixels[0, 3:] = POSITIVE
    pixels[1] = NEUTRAL
    (strip,) = pixels_to_strips(pixels)
    assert strip.cell_length == 5 and strip.text == UPPER_HALF * 5
    assert len(list(strip)) == 2
    assert cells(strip)[0][1:] == (NEGATIVE, NEUTRAL) and cells(strip)[4][1:] == (POSITIVE, NEUTRAL)


def test_confusion_matrix_counts() -> None:
    m = confusion_matrix(np.array([0, 0, 1, 2, 2, 2, 5]), np.array([0, 1, 1, 2, 0, 2, 0]), 3)
    assert m.dtype == np.int64
    assert m.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]  # label 5 is out of range: ignored


# ---------------------------------------------------------------- layout (pure)


def test_tick_labels_read_like_the_axis() -> None:
    assert [tick_label(v, 12.0) for v in (-6.0, 0.0, 6.0, -7.37)] == ["-6", "0", "6", "-7.4"]
    assert tick_label(0.0012, 0.004) == "0.0012" and tick_label(152.34, 50.0) == "152.3"
    assert tick_label(-0.001, 12.0) == "0"


@pytest.mark.parametrize("width, height", [(38, 19), (38, 10), (58, 37), (97, 57), (48, 25), (30, 30), (120, 8)])
def test_plane_layout_is_square_centred_and_inside_the_panel(width: int, height: int) -> None:
    entries = [17, 7, 6]
    layout = plane_layout(width, height, 2, entries)
    n = layout.size
    assert n % 2 == 0 and n >= MIN_PLANE  # n columns × n / 2 rows: square on a 1:2 cell
    assert layout.x0 + n <= width and layout.y0 + n // 2 + layout.ticks <= height
    if layout.ticks:
        assert layout.x0 >= 3  # room for "-6" and a space
    for x, y, i in layout.legend:
        assert 0 <= x and x + entries[i] <= width and 0 <= y < height
        inside_plane = layout.y0 <= y < layout.y0 + n // 2 and x < layout.x0 + n
        assert not inside_plane
    # centred: the slack is shared on both sides (within a cell); a legend under the plane is centred on it
    left = layout.x0 - (3 if layout.ticks else 0)
    beside = [x + entries[i] for x, y, i in layout.legend if y < layout.y0 + n // 2]
    right = max([layout.x0 + n, *beside])
    assert abs(left - (width - right)) <= 1


def test_plane_layout_puts_the_legend_beside_a_short_wide_plane_and_drops_it_when_tiny() -> None:
    entries = [4, 4, 4, 4, 7, 6]  # four class swatches, train, test
    short = plane_layout(38, 10, 4, entries)  # 80x24 with four classes: the confusion matrix takes the rest
    assert {x for x, _, _ in short.legend} == {short.x0 + short.size + 2}  # one column of entries, beside
    assert short.size >= plane_layout(38, 10, 4, []).size - 12
    tall = plane_layout(38, 19, 2, [17, 7, 6])
    assert all(y > tall.y0 + tall.size // 2 for _, y, _ in tall.legend)  # under the x labels
    tiny = plane_layout(14, 6, 2, [17, 7, 6])
    assert tiny.legend == () and not tiny.ticks and tiny.size == 12
    assert plane_layout(0, 0, 2, [17]).size == 0


# ---------------------------------------------------------------- widgets


class HeatmapApp(App):
    """A screen holding only a heatmap, recording Clicked messages."""

    BINDINGS = [("v", "discretize", "Discretize")]

    def __init__(self) -> None:
        super().__init__()
        self.clicks: list[Heatmap.Clicked] = []

    def compose(self) -> ComposeResult:
        yield Heatmap(id="heatmap")

    def on_heatmap_clicked(self, message: Heatmap.Clicked) -> None:
        self.clicks.append(message)

    def action_discretize(self) -> None:
        heatmap = self.query_one(Heatmap)
        heatmap.discretize = not heatmap.discretize


def sign_x(points: np.ndarray) -> np.ndarray:
    """-1 left of x = 0, +1 right of it."""
    return np.sign(points[:, 0])


def plane_row(heatmap: Heatmap, r: int) -> list[tuple[str, tuple | None, tuple | None]]:
    """The cells of the plane's row r (plane coordinates)."""
    plane = heatmap.plane
    return cells(heatmap.render_line(plane.y + r))[plane.x : plane.right]


def screen_text(heatmap: Heatmap) -> list[str]:
    """Every row of the widget, as text."""
    return [heatmap.render_line(y).text for y in range(heatmap.size.height)]


async def test_heatmap_draws_left_orange_right_blue_on_a_square_plane() -> None:
    app = HeatmapApp()
    async with app.run_test(size=(60, 20)) as pilot:
        heatmap = app.query_one(Heatmap)
        heatmap.set_evaluator(sign_x, "binary", BOUNDS)
        await pilot.pause()
        plane = heatmap.plane
        assert plane.width == 2 * plane.height and plane.height >= 15
        assert heatmap.bounds == BOUNDS  # the data's bounds, not widened to the panel's shape
        half = plane.width // 2
        for r in (0, plane.height // 2, plane.height - 1):
            row = plane_row(heatmap, r)
            assert len(row) == plane.width and all(char == UPPER_HALF for char, _, _ in row)
            assert all(fg == bg == NEGATIVE for _, fg, bg in row[:half])
            assert all(fg == bg == POSITIVE for _, fg, bg in row[half:])
        assert all(heatmap.render_line(y).cell_length == 60 for y in range(20))


async def test_heatmap_repaints_only_the_rows_whose_colours_changed() -> None:
    app = HeatmapApp()
    async with app.run_test(size=(60, 20)) as pilot:
        heatmap = app.query_one(Heatmap)
        flip_top = [False]

        def field(points: np.ndarray) -> np.ndarray:
            out = sign_x(points)
            if flip_top[0]:
                out = np.where(points[:, 1] > 3.0, -out, out)  # the top quarter of the plane changes
            return out

        heatmap.set_evaluator(field, "binary", BOUNDS)
        await pilot.pause()
        before = [heatmap.render_line(y) for y in range(20)]
        heatmap.refresh_field()  # the same field again: every row keeps its strip
        assert all(heatmap.render_line(y) is before[y] for y in range(20))
        flip_top[0] = True
        heatmap.refresh_field()
        after = [heatmap.render_line(y) for y in range(20)]
        redrawn = [y for y in range(20) if after[y] is not before[y]]
        plane = heatmap.plane
        quarter = [plane.y + r for r in range(plane.height) if heatmap.pixel_to_data(0, 2 * r)[1] > 3.0]
        assert redrawn == quarter and len(quarter) >= 3
        assert plane_row(heatmap, 0)[0][1] == POSITIVE and plane_row(heatmap, plane.height - 1)[0][1] == NEGATIVE
        await pilot.pause()


async def test_heatmap_blank_without_evaluator_and_survives_bad_evaluators() -> None:
    app = HeatmapApp()
    async with app.run_test(size=(20, 6)) as pilot:
        heatmap = app.query_one(Heatmap)
        assert heatmap.render_line(0).text.strip() == ""

        def boom(points: np.ndarray) -> np.ndarray:
            raise FloatingPointError("diverged")

        for evaluate in (boom, lambda p: np.full(len(p), np.nan), lambda p: np.zeros(3)):
            heatmap.set_evaluator(evaluate, "binary", BOUNDS)
            await pilot.pause()
            assert {(fg, bg) for _, fg, bg in plane_row(heatmap, 2)} == {(NEUTRAL, NEUTRAL)}
        heatmap.set_evaluator(lambda p: np.full((len(p), 3), np.nan), "multiclass", BOUNDS)
        await pilot.pause()
        assert heatmap.render_line(0).cell_length == 20


async def test_heatmap_train_point_is_a_dot_ringed_white_and_test_point_ringed_black() -> None:
    app = HeatmapApp()
    async with app.run_test(size=(60, 24)) as pilot:
        heatmap = app.query_one(Heatmap)
        heatmap.set_evaluator(lambda p: np.zeros(len(p)), "binary", BOUNDS)
        await pilot.pause()
        train, test = heatmap.pixel_to_data(30, 10), heatmap.pixel_to_data(10, 11)
        heatmap.set_points(np.array([train]), np.array([1]), np.array([test]), np.array([0]))
        await pilot.pause()
        row = plane_row(heatmap, 5)
        assert row[30] == ("●", POSITIVE, TRAIN_OUTLINE)
        assert row[10] == ("●", NEGATIVE, TEST_OUTLINE)
        assert row[20] == (UPPER_HALF, NEUTRAL, NEUTRAL)
        heatmap.set_points(np.array([train]), np.array([1]), np.array([test]), np.array([0]), show_test=False)
        await pilot.pause()
        assert plane_row(heatmap, 5)[10] == (UPPER_HALF, NEUTRAL, NEUTRAL)


@pytest.mark.parametrize("kind, field, label", [
    ("binary", lambda p: np.ones(len(p)), 1),
    ("binary", lambda p: -np.ones(len(p)), 0),
    ("multiclass", lambda p: np.eye(4)[np.full(len(p), 2)], 2),
    ("multiclass", lambda p: np.eye(4)[np.full(len(p), 3)], 3),
])
async def test_heatmap_point_stays_visible_on_its_own_colour(kind: str, field, label: int) -> None:
    app = HeatmapApp()
    async with app.run_test(size=(40, 20)) as pilot:
        heatmap = app.query_one(Heatmap)
        heatmap.set_evaluator(field, kind, BOUNDS)
        await pilot.pause()
        heatmap.set_points(np.array([heatmap.pixel_to_data(4, 4)]), np.array([label]),
                           np.array([heatmap.pixel_to_data(8, 4)]), np.array([label]), n_classes=4)
        await pilot.pause()
        row = plane_row(heatmap, 2)
        background = row[12]
        assert background[1] == background[2] == CLASS_COLORS[label]
        for cell in (row[4], row[8]):  # train and test: a dot of the class colour on a contrasting ring
            assert cell != background and cell[1] == CLASS_COLORS[label]
            assert max(abs(a - b) for a, b in zip(cell[2], background[2])) > 100
        assert row[4] != row[8]


async def test_heatmap_regression_point_near_zero_is_darker_than_its_white_ring() -> None:
    app = HeatmapApp()
    async with app.run_test(size=(40, 20)) as pilot:
        heatmap = app.query_one(Heatmap)
        heatmap.set_evaluator(lambda p: np.zeros(len(p)), "regression", BOUNDS)
        heatmap.set_points(np.array([heatmap.pixel_to_data(4, 4)]), np.array([0.01]), regression=True)
        await pilot.pause()
        char, fg, bg = plane_row(heatmap, 2)[4]
        assert char == "●" and bg == TRAIN_OUTLINE and max(fg) < 200


async def test_heatmap_multiclass_regions() -> None:
    app = HeatmapApp()

    def three(points: np.ndarray) -> np.ndarray:
        cls = np.where(points[:, 0] < -2, 0, np.where(points[:, 0] < 2, 1, 2))
        return np.eye(3)[cls]

    async with app.run_test(size=(60, 20)) as pilot:
        heatmap = app.query_one(Heatmap)
        heatmap.set_evaluator(three, "multiclass", BOUNDS)
        await pilot.pause()
        row = plane_row(heatmap, 3)
        assert row[0][1] == CLASS_COLORS[0] and row[len(row) // 2][1] == CLASS_COLORS[1] and row[-1][1] == CLASS_COLORS[2]


@pytest.mark.parametrize("size", [(38, 19), (38, 10), (48, 25), (58, 37), (97, 57), (30, 40)])
@pytest.mark.parametrize("classes", [2, 4])
async def test_heatmap_plane_is_square_for_two_and_four_classes(size: tuple[int, int], classes: int) -> None:
    app = HeatmapApp()
    async with app.run_test(size=size) as pilot:
        heatmap = app.query_one(Heatmap)
        if classes == 2:
            heatmap.set_evaluator(sign_x, "binary", BOUNDS)
        else:
            heatmap.set_evaluator(lambda p: np.eye(4)[(p[:, 0] > 0) * 2 + (p[:, 1] > 0)], "multiclass", BOUNDS)
        rng = np.random.default_rng(0)
        points = rng.uniform(-6, 6, (40, 2))
        heatmap.set_points(points, rng.integers(0, classes, 40), points[::-1], rng.integers(0, classes, 40),
                           n_classes=classes)
        await pilot.pause()
        plane = heatmap.plane
        assert plane.width == 2 * plane.height and plane.width >= MIN_PLANE
        assert heatmap.values.shape[:2] == (plane.width, plane.width)  # square pixels, N × N
        assert heatmap.region.width == 0 or plane.right <= heatmap.size.width
        assert plane.bottom <= heatmap.size.height
        text = screen_text(heatmap)
        assert "train" in "".join(text) and "test" in "".join(text)
        if classes == 4:
            assert all(name in "".join(text) for name in ("0", "1", "2", "3"))


async def test_heatmap_shows_ticks_and_legend() -> None:
    app = HeatmapApp()
    async with app.run_test(size=(60, 24)) as pilot:
        heatmap = app.query_one(Heatmap)
        heatmap.set_evaluator(sign_x, "binary", BOUNDS)
        heatmap.set_points(np.array([[1.0, 1.0]]), np.array([1]), np.array([[2.0, 2.0]]), np.array([0]))
        await pilot.pause()
        plane = heatmap.plane
        text = screen_text(heatmap)
        left = [line[: plane.x] for line in text[plane.y : plane.bottom]]
        assert left[0].strip() == "6" and left[-1].strip() == "-6" and left[len(left) // 2].strip() == "0"
        ticks = text[plane.bottom][plane.x : plane.right]
        assert ticks.startswith("-6") and ticks.endswith("6") and ticks.split() == ["-6", "0", "6"]
        assert ticks.index("0") == plane.width // 2
        legend = text[plane.bottom + 1]
        assert legend.split()[:2] == ["-1", "1"] and "● train" in legend and "● test" in legend
        bar = [c for c in cells(heatmap.render_line(plane.bottom + 1)) if c[0] == " " and c[2] not in (None,)]
        colours = [bg for _, _, bg in bar]
        assert NEGATIVE in colours and POSITIVE in colours  # the colour bar runs from orange to blue
        heatmap.set_points(np.array([[1.0, 1.0]]), np.array([1]), np.array([[2.0, 2.0]]), np.array([0]), show_test=False)
        await pilot.pause()
        assert "test" not in "".join(screen_text(heatmap)) and heatmap.plane == plane  # t: the plane does not jump
        heatmap.set_evaluator(sign_x, "binary", BOUNDS, scale=(0.0, 1.0))  # a probability
        await pilot.pause()
        assert text_after(heatmap).split()[:2] == ["0", "1"]


def text_after(heatmap: Heatmap) -> str:
    """The legend's words, under the plane's tick labels or beside the plane, in reading order."""
    plane = heatmap.plane
    rows = [heatmap.render_line(y).text for y in range(heatmap.size.height)]
    beside = [line[plane.right :] for line in rows[plane.y : plane.bottom]]
    return " ".join(beside + rows[plane.bottom + 1 :])


async def test_heatmap_legend_of_classes_neurons_and_regression() -> None:
    app = HeatmapApp()
    async with app.run_test(size=(60, 24)) as pilot:
        heatmap = app.query_one(Heatmap)
        heatmap.set_evaluator(lambda p: np.eye(3)[(p[:, 0] > 0).astype(int)], "multiclass", BOUNDS)
        heatmap.set_points(np.array([[1.0, 1.0]]), np.array([2]), n_classes=3, class_names=("cat", "dog", "emu"))
        await pilot.pause()
        assert text_after(heatmap).split()[:6] == ["██", "cat", "██", "dog", "██", "emu"]
        peak = [0.5]
        heatmap.set_evaluator(lambda p: np.clip(p[:, 0], -peak[0], peak[0]), "neuron", BOUNDS)
        await pilot.pause()
        assert text_after(heatmap).split()[:2] == ["-0.5", "0.5"]  # the neuron's peak |activation|
        peak[0] = 0.4  # the weights moved: the field looks the same, the legend's numbers do not
        heatmap.refresh_field()
        await pilot.pause()
        assert text_after(heatmap).split()[:2] == ["-0.4", "0.4"]
        heatmap.set_evaluator(lambda p: p[:, 0] / 6, "regression", BOUNDS)
        await pilot.pause()
        assert text_after(heatmap).split()[:2] == ["-1", "1"]


async def test_heatmap_tiny_panel_drops_the_legend_then_the_ticks() -> None:
    app = HeatmapApp()
    async with app.run_test(size=(16, 8)) as pilot:
        heatmap = app.query_one(Heatmap)
        heatmap.set_evaluator(sign_x, "binary", BOUNDS)
        await pilot.pause()
        plane = heatmap.plane
        assert plane.width == 2 * plane.height >= 14
        assert all(heatmap.render_line(y).cell_length == 16 for y in range(8))


async def test_v_discretizes_to_the_class_colours_only() -> None:
    app = HeatmapApp()
    async with app.run_test(size=(60, 24)) as pilot:
        heatmap = app.query_one(Heatmap)
        heatmap.set_evaluator(lambda p: np.clip(p[:, 0] / 6, -1, 1), "binary", BOUNDS)
        heatmap.set_points(None, None, class_names=("-1", "+1"))
        await pilot.pause()

        def colours() -> set:
            return {c for r in range(heatmap.plane.height) for _, fg, bg in plane_row(heatmap, r) for c in (fg, bg)}

        assert len(colours()) > 10  # shades of the output
        await pilot.press("v")
        assert heatmap.discretize
        assert colours() == {NEGATIVE, POSITIVE}
        assert text_after(heatmap).split()[:4] == ["██", "-1", "██", "+1"]
        four = np.array([[0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1], [0.3, 0.4, 0.2, 0.1], [0.2, 0.1, 0.4, 0.3]])
        heatmap.set_evaluator(lambda p: four[(p[:, 0] > 0) * 2 + (p[:, 1] > 0)], "multiclass", BOUNDS)
        await pilot.pause()
        assert colours() == {tuple(c) for c in CLASS_COLORS[:4]}  # unsure as it is, each class at full strength
        await pilot.press("v")
        assert not heatmap.discretize and len(colours()) == 4 and NEUTRAL not in colours()
        assert all(c not in colours() for c in CLASS_COLORS[:4])  # pale: the winner by little


async def test_v_in_the_app_discretizes_the_heatmap_and_the_palette_offers_it() -> None:
    app = NNTuiApp(build_session(merge({"paused": True, "dataset": "blobs", "classes": 4})))
    async with app.run_test(size=(80, 24)) as pilot:
        heatmap = app.query_one(Heatmap)
        await pilot.pause()
        assert heatmap.kind == "multiclass" and heatmap.plane.width == 2 * heatmap.plane.height >= MIN_PLANE
        await pilot.press("v")
        await pilot.pause()
        assert heatmap.discretize
        field = {c for r in range(heatmap.plane.height) for ch, fg, bg in plane_row(heatmap, r) if ch == UPPER_HALF
                 for c in (fg, bg)}
        assert field and field <= {tuple(c) for c in CLASS_COLORS[:4]}
        await pilot.press("v")
        assert not heatmap.discretize
        assert any(c.title.startswith("Discretize (v)") for c in app.get_system_commands(app.screen))


async def test_heatmap_resize_reevaluates_whole_grid_in_one_call() -> None:
    shapes: list[tuple[int, ...]] = []

    def evaluate(points: np.ndarray) -> np.ndarray:
        shapes.append(points.shape)
        return np.sign(points[:, 0])

    app = HeatmapApp()
    async with app.run_test(size=(60, 20)) as pilot:
        heatmap = app.query_one(Heatmap)
        heatmap.set_evaluator(evaluate, "binary", BOUNDS)
        await pilot.pause()
        n = heatmap.plane.width
        assert shapes[-1] == (n * n, 2)
        calls = len(shapes)
        await pilot.resize_terminal(30, 10)
        await pilot.pause()
        m = heatmap.plane.width
        assert len(shapes) > calls and shapes[-1] == (m * m, 2) and m < n
        row = plane_row(heatmap, heatmap.plane.height - 1)
        assert len(row) == m and row[0][1] == NEGATIVE and row[-1][1] == POSITIVE
        assert heatmap.render_line(9).cell_length == 30
        calls = len(shapes)
        heatmap.refresh_field()
        assert len(shapes) == calls + 1


async def test_heatmap_grid_covers_bounds_with_y_up() -> None:
    seen: list[np.ndarray] = []
    app = HeatmapApp()
    async with app.run_test(size=(40, 20)) as pilot:
        heatmap = app.query_one(Heatmap)
        heatmap.set_evaluator(lambda p: seen.append(p.copy()) or p[:, 1] / 6, "binary", BOUNDS)
        await pilot.pause()
        n = heatmap.plane.width
        half = 6 / n  # half a pixel of the plane [-6, 6]
        grid = seen[-1].reshape(n, n, 2)
        assert grid[0, 0, 0] == pytest.approx(-6 + half) and grid[0, -1, 0] == pytest.approx(6 - half)
        assert grid[0, 0, 1] == pytest.approx(6 - half) and grid[-1, 0, 1] == pytest.approx(-6 + half)
        assert plane_row(heatmap, 0)[0][1][2] > 150  # top is blue (y > 0)
        assert plane_row(heatmap, heatmap.plane.height - 1)[0][2][0] > 200  # bottom is orange
        plane = heatmap.plane
        assert heatmap.data_to_cell(0.01, 5.99) == (plane.x + n // 2, plane.y)
        assert heatmap.data_to_cell(-5.99, -5.99) == (plane.x, plane.bottom - 1)


async def test_heatmap_probe_draws_a_cross() -> None:
    app = HeatmapApp()
    async with app.run_test(size=(60, 20)) as pilot:
        heatmap = app.query_one(Heatmap)
        heatmap.set_evaluator(sign_x, "binary", BOUNDS)
        heatmap.probe = (3.0, 3.0)
        await pilot.pause()
        col, row = heatmap.data_to_cell(3.0, 3.0)
        strip = heatmap.render_line(row)
        assert strip.cell_length == 60 and strip.text[col] == "┼"
        assert strip.text.count("┼") == 1 and "┼" not in heatmap.render_line(row + 1).text
        heatmap.probe = (float("nan"), 0.0)  # a diverged probe must not crash
        await pilot.pause()
        assert "┼" not in heatmap.render_line(row).text
        heatmap.probe = (-9.0, 0.0)  # off the plane: not drawn over a tick label
        await pilot.pause()
        assert all("┼" not in line for line in screen_text(heatmap))
        heatmap.probe = None
        await pilot.pause()
        assert "┼" not in heatmap.render_line(row).text


async def test_heatmap_click_posts_data_coordinates() -> None:
    app = HeatmapApp()
    async with app.run_test(size=(40, 20)) as pilot:
        heatmap = app.query_one(Heatmap)
        heatmap.set_evaluator(sign_x, "binary", BOUNDS)
        await pilot.pause()
        plane = heatmap.plane
        n = plane.width
        await pilot.click(Heatmap, offset=(plane.x + 30, plane.y + 5))
        await pilot.pause()
        assert len(app.clicks) == 1
        click = app.clicks[0]
        assert click.heatmap is heatmap
        assert click.x == pytest.approx(-6 + 30.5 / n * 12)
        assert click.y == pytest.approx(6 - 11 / n * 12)
        await pilot.click(Heatmap, offset=(0, plane.bottom))  # a tick label, not the plane
        await pilot.pause()
        assert len(app.clicks) == 1


async def test_heatmap_no_color_uses_ramp_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = HeatmapApp()
    async with app.run_test(size=(60, 24)) as pilot:
        heatmap = app.query_one(Heatmap)
        assert heatmap.no_color
        heatmap.set_evaluator(lambda p: np.clip(p[:, 0] / 3, -1, 1), "binary", BOUNDS)
        heatmap.set_points(np.array([[-5.0, 0.1], [5.0, 0.1]]), np.array([0, 1]),
                           np.array([[-5.0, -4.0], [5.0, -4.0]]), np.array([0, 1]))
        heatmap.probe = (0.1, -3.0)
        await pilot.pause()
        base = heatmap.rich_style  # the widget's own CSS colours: nothing else is added
        for y in range(24):
            for segment in heatmap.render_line(y):
                assert (segment.style.color, segment.style.bgcolor) == (base.color, base.bgcolor)
        plane = heatmap.plane
        text = "".join(c for c, _, _ in plane_row(heatmap, plane.height - 3))
        assert text[0] == CHAR_RAMP[0] and text[-1] == CHAR_RAMP[-1]
        assert len(set(text)) >= 5  # the boundary is a visible ramp
        assert "+" in heatmap.render_line(heatmap.data_to_cell(0.1, -3.0)[1]).text
        glyphs = {}
        for x, y in ((-5.0, 0.1), (5.0, 0.1), (-5.0, -4.0), (5.0, -4.0)):
            col, row = heatmap.data_to_cell(x, y)
            glyphs[x, y] = heatmap.render_line(row).text[col]
        assert glyphs[-5.0, 0.1] == TRAIN_GLYPHS[0] and glyphs[5.0, 0.1] == TRAIN_GLYPHS[1]
        assert glyphs[-5.0, -4.0] == TEST_GLYPHS[0] and glyphs[5.0, -4.0] == TEST_GLYPHS[1]
        assert len(set(glyphs.values())) == 4 and not set(glyphs.values()) & set(CHAR_RAMP)
        text = screen_text(heatmap)
        assert text[plane.bottom][plane.x : plane.right].split() == ["-6", "0", "6"]
        legend = text[plane.bottom + 1]
        assert f"-1 [{CHAR_RAMP}] 1" in legend and f"{TRAIN_GLYPHS[0]} -1" not in legend  # no names given: 0, 1
        assert f"{TRAIN_GLYPHS[0]} 0" in legend and f"{TEST_GLYPHS[:2]} test" in legend


async def test_heatmap_no_color_multiclass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = HeatmapApp()
    async with app.run_test(size=(40, 14)) as pilot:
        heatmap = app.query_one(Heatmap)
        heatmap.set_evaluator(lambda p: np.eye(3)[(p[:, 0] > 0).astype(int) * 2], "multiclass", BOUNDS)
        heatmap.set_points(np.array([[-3.0, 3.0]]), np.array([0]), np.array([[3.0, 3.0]]), np.array([2]), n_classes=3)
        await pilot.pause()
        half = heatmap.plane.width // 2
        row = "".join(c for c, _, _ in plane_row(heatmap, heatmap.plane.height - 1))
        assert row == "0" * half + "2" * half
        text = "".join(screen_text(heatmap))
        assert TRAIN_GLYPHS[0] in text and TEST_GLYPHS[2] in text  # points stand out from the digits of the regions
        assert f"0{TRAIN_GLYPHS[0]}" in text and f"2{TRAIN_GLYPHS[2]}" in text and "test" in text


class ExtrasApp(App):
    """A screen with a digits view and a confusion matrix."""

    def compose(self) -> ComposeResult:
        yield DigitsView()
        yield ConfusionMatrix()


def digit_images(n: int) -> np.ndarray:
    """n simple 8×8 'digits': a bright vertical bar on black."""
    images = np.zeros((n, 8, 8))
    images[:, :, 3:5] = 1.0
    return images.reshape(n, 64)


async def test_digits_view_draws_digits_and_labels() -> None:
    app = ExtrasApp()
    async with app.run_test(size=(60, 20)) as pilot:
        view = app.query_one(DigitsView)
        view.set_digits(digit_images(12), np.arange(12) % 10, np.array([0, 1, 2, 9, 4, 5, 6, 7, 8, 9, 0, 1]))
        await pilot.pause()
        assert view.size.width == 60 and view.size.height == 11  # 6 digits per row, two bands
        first = cells(view.render_line(0))
        assert [c for c, _, _ in first[:8]] == [UPPER_HALF] * 8
        assert first[0][1:] == ((0, 0, 0), (0, 0, 0)) and first[3][1:] == ((255, 255, 255), (255, 255, 255))
        label = view.render_line(4)
        assert "0 ✓" in label.text and "9 ✗(3)" in label.text
        styles = {s.text.strip(): s.style for s in label if s.text.strip()}
        assert rgb(styles["9 ✗(3)"].color) != rgb(styles["0 ✓"].color)
        assert view.render_line(5).text.strip() == "" and "✓" in view.render_line(10).text


async def test_digits_view_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = ExtrasApp()
    async with app.run_test(size=(40, 12)) as pilot:
        view = app.query_one(DigitsView)
        view.set_digits(digit_images(3), np.array([1, 2, 3]), np.array([1, 2, 4]))
        await pilot.pause()
        assert view.render_line(0).text[:8] == "   @@   "
        assert "✓" in view.render_line(4).text and "✗" in view.render_line(4).text
        base = view.rich_style
        assert all(s.style.color == base.color and s.style.bgcolor == base.bgcolor
                   for y in range(5) for s in view.render_line(y))


async def test_confusion_matrix_renders_table() -> None:
    app = ExtrasApp()
    async with app.run_test(size=(60, 20)) as pilot:
        matrix = app.query_one(ConfusionMatrix)
        matrix.set_matrix(np.array([[5, 1], [2, 7]]), ["neg", "pos"])
        await pilot.pause()
        text = "\n".join(matrix.render_line(y).text for y in range(matrix.size.height))
        assert "confusion (test)" in text
        assert "neg" in text and "pos" in text and "recall" in text
        assert "83%" in text and "78%" in text  # 5/6 and 7/9
        diagonal = [s for y in range(matrix.size.height) for s in matrix.render_line(y) if s.text.strip() == "7"]
        assert diagonal and diagonal[0].style.bold

