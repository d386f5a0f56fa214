"""Tests for the half-block widgets: Heatmap, DigitsView, ConfusionMatrix and their pure helpers."""

from __future__ import annotations

import numpy as np
import pytest
from textual.app import App, ComposeResult
from textual.strip import Strip

from nntui.tui.colors import CHAR_RAMP, CLASS_COLORS, NEGATIVE, NEUTRAL, POSITIVE
from nntui.tui.confusion import ConfusionMatrix, confusion_matrix
from nntui.tui.digits_view import DigitsView
from nntui.tui.halfblock import UPPER_HALF, pixels_to_strips
from nntui.tui.heatmap import Heatmap, field_chars, field_colors

BOUNDS = (-6.0, 6.0, -6.0, 6.0)


def rgb(color) -> tuple[int, int, int] | None:
    """(r, g, b) of a Rich colour, or None."""
    if color is None:
        return None
    t = color.get_truecolor()
    return (t.red, t.green, t.blue)


def cells(strip: Strip) -> list[tuple[str, tuple | None, tuple | None]]:
    """One (char, fg, bg) per cell of a strip."""
    out = []
    for segment in strip:
        style = segment.style
        for char in segment.text:
            out.append((char, rgb(style.color) if style else None, rgb(style.bgcolor) if style else None))
    return out


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


# ---------------------------------------------------------------- widgets


class HeatmapApp(App):
    """A screen holding only a heatmap, recording Clicked messages."""

    def __init__(self) -> None:
        super().__init__()
        self.clicks: list[Heatmap.Clicked] = []

    def compose(self) -> ComposeResult:
        yield Heatmap(id="heatmap")

    def on_heatmap_clicked(self, message: Heatmap.Clicked) -> None:
        self.clicks.append(message)


def sign_x(points: np.ndarray) -> np.ndarray:
    """-1 left of x = 0, +1 right of it."""
    return np.sign(points[:, 0])


async def test_heatmap_draws_left_orange_right_blue() -> None:
    app = HeatmapApp()
    async with app.run_test(size=(60, 20)) as pilot:
        heatmap = app.query_one(Heatmap)
        heatmap.set_evaluator(sign_x, "binary", BOUNDS)
        await pilot.pause()
        assert heatmap.size.width == 60 and heatmap.size.height == 20
        for y in (0, 10, 19):
            row = cells(heatmap.render_line(y))
            assert len(row) == 60 and all(char == UPPER_HALF for char, _, _ in row)
            assert all(fg == bg == NEGATIVE for _, fg, bg in row[:30])
            assert all(fg == bg == POSITIVE for _, fg, bg in row[30:])


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
        assert [heatmap.render_line(y) for y in range(20)] == before
        assert all(heatmap.render_line(y) is before[y] for y in range(20))
        flip_top[0] = True
        heatmap.refresh_field()
        after = [heatmap.render_line(y) for y in range(20)]
        redrawn = [y for y in range(20) if after[y] is not before[y]]
        assert redrawn == list(range(5))  # rows 0-4 show y > 3 of the plane [-6, 6]
        assert cells(after[0])[0][1] == POSITIVE and cells(after[10])[0][1] == NEGATIVE
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
            assert {(fg, bg) for _, fg, bg in cells(heatmap.render_line(2))} == {(NEUTRAL, NEUTRAL)}
        heatmap.set_evaluator(lambda p: np.full((len(p), 3), np.nan), "multiclass", BOUNDS)
        await pilot.pause()
        assert heatmap.render_line(0).cell_length == 20


async def test_heatmap_points_overlay_colours_a_pixel() -> None:
    app = HeatmapApp()
    async with app.run_test(size=(60, 20)) as pilot:
        heatmap = app.query_one(Heatmap)
        heatmap.set_evaluator(lambda p: np.zeros(len(p)), "binary", BOUNDS)
        # a class-1 point in the upper pixel of cell (45, 5), a test point of class 0 in the lower pixel of (15, 5)
        x1, y1 = heatmap.pixel_to_data(45, 10)
        x0, y0 = heatmap.pixel_to_data(15, 11)
        heatmap.set_points(np.array([[x1, y1]]), np.array([1]), np.array([[x0, y0]]), np.array([0]))
        await pilot.pause()
        row = cells(heatmap.render_line(5))
        assert row[45][1] == POSITIVE and row[45][2] == NEUTRAL
        assert row[15][1] == NEUTRAL and row[15][2] not in (NEUTRAL, NEGATIVE)  # lighter variant of orange
        assert row[15][2][0] > row[15][2][2]  # still orange-ish
        heatmap.set_points(np.array([[x1, y1]]), np.array([1]), np.array([[x0, y0]]), np.array([0]), show_test=False)
        await pilot.pause()
        assert cells(heatmap.render_line(5))[15][2] == NEUTRAL


async def test_heatmap_point_stays_visible_on_its_own_colour() -> None:
    app = HeatmapApp()
    async with app.run_test(size=(20, 6)) as pilot:
        heatmap = app.query_one(Heatmap)
        heatmap.set_evaluator(lambda p: np.ones(len(p)), "binary", BOUNDS)
        heatmap.set_points(np.array([heatmap.pixel_to_data(4, 2)]), np.array([1]))
        await pilot.pause()
        fg = cells(heatmap.render_line(1))[4][1]
        assert fg != POSITIVE and fg[2] > fg[0]  # a darker blue


async def test_heatmap_multiclass_regions() -> None:
    app = HeatmapApp()

    def three(points: np.ndarray) -> np.ndarray:
        cls = np.where(points[:, 0] < -2, 0, np.where(points[:, 0] < 2, 1, 2))
        return np.eye(3)[cls]

    async with app.run_test(size=(60, 20)) as pilot:
        heatmap = app.query_one(Heatmap)
        heatmap.set_evaluator(three, "multiclass", BOUNDS)
        await pilot.pause()
        row = cells(heatmap.render_line(3))
        assert row[0][1] == CLASS_COLORS[0] and row[30][1] == CLASS_COLORS[1] and row[59][1] == CLASS_COLORS[2]


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
        assert shapes[-1] == (60 * 40, 2)
        calls = len(shapes)
        await pilot.resize_terminal(30, 10)
        await pilot.pause()
        assert len(shapes) > calls and shapes[-1] == (30 * 20, 2)
        row = cells(heatmap.render_line(9))
        assert len(row) == 30 and row[0][1] == NEGATIVE and row[29][1] == POSITIVE
        assert heatmap.render_line(10).cell_length == 30  # below the grid: blank
        calls = len(shapes)
        heatmap.refresh_field()
        assert len(shapes) == calls + 1


async def test_heatmap_grid_covers_bounds_with_y_up() -> None:
    seen: list[np.ndarray] = []
    app = HeatmapApp()
    async with app.run_test(size=(40, 20)) as pilot:  # 40 × 40 square pixels
        heatmap = app.query_one(Heatmap)
        heatmap.set_evaluator(lambda p: seen.append(p.copy()) or p[:, 1] / 6, "binary", BOUNDS)
        await pilot.pause()
        grid = seen[-1].reshape(40, 40, 2)
        assert grid[0, 0, 0] == pytest.approx(-6 + 0.15) and grid[0, -1, 0] == pytest.approx(6 - 0.15)
        assert grid[0, 0, 1] == pytest.approx(6 - 0.15) and grid[-1, 0, 1] == pytest.approx(-6 + 0.15)
        assert cells(heatmap.render_line(0))[0][1][2] > 150  # top is blue (y > 0)
        assert cells(heatmap.render_line(19))[0][2][0] > 200  # bottom is orange
        assert heatmap.data_to_cell(0.01, 5.9) == (20, 0)
        assert heatmap.data_to_cell(-5.99, -5.99) == (0, 19)


async def test_heatmap_keeps_pixels_square_by_widening_the_plane() -> None:
    app = HeatmapApp()
    async with app.run_test(size=(60, 20)) as pilot:  # 60 × 40 pixels: x is widened
        heatmap = app.query_one(Heatmap)
        heatmap.set_evaluator(sign_x, "binary", BOUNDS)
        await pilot.pause()
        assert heatmap.bounds == pytest.approx((-9, 9, -6, 6))
        await pilot.resize_terminal(20, 20)  # 20 × 40 pixels: y is widened
        await pilot.pause()
        assert heatmap.bounds == pytest.approx((-6, 6, -12, 12))


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
        heatmap.probe = None
        await pilot.pause()
        assert "┼" not in heatmap.render_line(row).text


async def test_heatmap_click_posts_data_coordinates() -> None:
    app = HeatmapApp()
    async with app.run_test(size=(40, 20)) as pilot:
        heatmap = app.query_one(Heatmap)
        heatmap.set_evaluator(sign_x, "binary", BOUNDS)
        await pilot.pause()
        await pilot.click(Heatmap, offset=(30, 5))
        await pilot.pause()
        assert len(app.clicks) == 1
        click = app.clicks[0]
        assert click.heatmap is heatmap
        assert click.x == pytest.approx(-6 + 30.5 / 40 * 12)
        assert click.y == pytest.approx(6 - 5.5 / 20 * 12)


async def test_heatmap_no_color_uses_ramp_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = HeatmapApp()
    async with app.run_test(size=(60, 20)) as pilot:
        heatmap = app.query_one(Heatmap)
        assert heatmap.no_color
        heatmap.set_evaluator(lambda p: np.clip(p[:, 0] / 3, -1, 1), "binary", BOUNDS)
        heatmap.set_points(np.array([[-5.0, 0.1], [5.0, 0.1]]), np.array([0, 1]))
        heatmap.probe = (0.1, -3.0)
        await pilot.pause()
        base = heatmap.rich_style  # the widget's own CSS colours: nothing else is added
        for y in range(20):
            for segment in heatmap.render_line(y):
                assert (segment.style.color, segment.style.bgcolor) == (base.color, base.bgcolor)
        text = heatmap.render_line(15).text
        assert text[0] == CHAR_RAMP[0] and text[-1] == CHAR_RAMP[-1]
        assert len(set(text)) >= 5  # the boundary is a visible ramp
        assert "+" in text
        col0, row = heatmap.data_to_cell(-5.0, 0.1)
        col1, _ = heatmap.data_to_cell(5.0, 0.1)
        points_row = heatmap.render_line(row).text
        assert points_row[col0] == "o" and points_row[col1] == "x"


async def test_heatmap_no_color_multiclass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = HeatmapApp()
    async with app.run_test(size=(30, 6)) as pilot:
        heatmap = app.query_one(Heatmap)
        heatmap.set_evaluator(lambda p: np.eye(3)[(p[:, 0] > 0).astype(int) * 2], "multiclass", BOUNDS)
        await pilot.pause()
        assert heatmap.render_line(2).text == "0" * 15 + "2" * 15


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

