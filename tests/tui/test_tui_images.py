"""Image data on screen: the first layer's weight images, the test pictures, the inspector's sample,
the confusion matrix at every size, and the image shape a dataset keeps (digits, a 28×28 .npz)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from textual.app import App, ComposeResult

from nntui.datasets import make_dataset
from nntui.tui.colors import NEGATIVE, POSITIVE
from nntui.tui.confusion import ConfusionMatrix
from nntui.tui.digits_view import DigitsView
from nntui.tui.halfblock import UPPER_HALF
from nntui.tui.images import ImageData, fit_factor, resize, weight_images
from nntui.tui.inspector_screen import InspectorScreen
from nntui.tui.weight_images import WeightImages, grid_shape
from tests.tui.helpers import cells, make_app, wait_for

DIGITS = dict(dataset="digits", layers="32", optimizer="adam", lr=0.01, batch_size=32)


def screen_text(widget) -> list[str]:
    """The widget's rows as text."""
    return [widget.render_line(y).text for y in range(widget.content_size.height)]


def half_block_runs(widget, y: int) -> list[int]:
    """Lengths of the runs of half-block cells in one row of a widget."""
    return [len(run) for run in re.findall(f"{UPPER_HALF}+", widget.render_line(y).text)]


def mnist_like(path, n_train: int = 60, n_test: int = 30, shape=(28, 28)) -> None:
    """A tiny Keras-style .npz of 0–255 images: class 0 a vertical bar, class 1 a horizontal one."""
    rng = np.random.default_rng(0)

    def images(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = np.arange(n) % 2
        x = rng.integers(0, 30, size=(n, 28, 28)).astype(np.uint8)
        x[y == 0, :, 12:16] = 255
        x[y == 1, 12:16, :] = 255
        return x.reshape(n, *shape), y.astype(np.uint8)

    x_train, y_train = images(n_train)
    x_test, y_test = images(n_test)
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)


# ---------------------------------------------------------------- pure functions


def test_weight_images_are_scaled_per_neuron() -> None:
    W = np.zeros((40, 2))
    W[:, 0] = np.linspace(-1.0, 1.0, 40)
    W[:, 1] = W[:, 0] / 100
    W[7, 1] = 50.0  # one stray weight
    images = weight_images(W, (5, 8))
    assert images.shape == (2, 5, 8)
    assert images[0, 0, 0] == -1.0 and images[0, 4, 7] == 1.0  # row-major: pixel k is input k
    assert images[0, 2, 3] == pytest.approx(W[19, 0] / np.percentile(np.abs(W[:, 0]), 95))
    # Tiny weights show at the same contrast; the stray one saturates instead of washing them out.
    assert np.allclose(np.delete(images[1].ravel(), 7), np.delete(images[0].ravel(), 7), atol=0.06)
    assert images[1, 0, 7] == 1.0


def test_resize_enlarges_and_shrinks() -> None:
    image = np.arange(4.0).reshape(2, 2)
    assert resize(image, 2).tolist() == [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]]
    assert resize(np.ones((3, 28, 28)), -2).shape == (3, 14, 14)
    assert resize(image, -2).tolist() == [[1.5]]


def test_fit_factor() -> None:
    assert fit_factor((8, 8), 19, 8) == 2  # 16 cells wide, 8 rows (16 pixels) high
    assert fit_factor((8, 8), 40, 30) == 5
    assert fit_factor((28, 28), 19, 8) == -2  # 14×14: shrunk to fit
    assert fit_factor((8, 8), 0, 8) is None


def test_grid_shape_leaves_a_slot_for_more() -> None:
    assert grid_shape(32, (4, 8), 38, 8) == (4, 1, 3)  # one band of four slots: three images, "… 29 more"
    assert grid_shape(6, (4, 8), 38, 10) == (4, 2, 6)  # all fit
    assert grid_shape(32, (7, 14), 23, 8) == (1, 1, 1)  # room for one image: it is shown
    assert grid_shape(32, (4, 8), 5, 8)[2] == 0


# ---------------------------------------------------------------- datasets keep the image shape


def test_digits_are_8x8_images() -> None:
    data = make_dataset("digits")
    assert data.image_shape == (8, 8)
    images = ImageData.of(data)
    assert images is not None and images.shape == (8, 8)
    grey = images.grey(data.x_test[:3])
    assert grey.shape == (3, 8, 8) and grey.min() >= 0.0 and grey.max() == 1.0
    assert ImageData.of(make_dataset("circle")) is None


@pytest.mark.parametrize("shape", [(28, 28), (28, 28, 1)])
def test_npz_of_28x28_images_keeps_its_shape(tmp_path, shape) -> None:
    path = tmp_path / "mnist.npz"
    mnist_like(path, shape=shape)
    data = make_dataset(str(path))
    assert data.image_shape == (28, 28) and data.n_inputs == 784
    standardized = make_dataset(str(path), standardize=True)
    plain, undone = ImageData.of(data), ImageData.of(standardized)
    assert (plain.low, plain.high) == (0.0, 255.0)
    # The pictures are the same whether or not the inputs were standardized.
    assert np.allclose(plain.grey(data.x_test[:4]), undone.grey(standardized.x_test[:4]))
    bar = plain.grey(data.x_test[:1])[0]
    assert bar[:, 12:16].min() == 1.0 and bar[:, :12].max() < 0.2


def test_flat_npz_is_not_an_image(tmp_path) -> None:
    path = tmp_path / "flat.npz"
    rng = np.random.default_rng(0)
    np.savez(path, x_train=rng.normal(size=(20, 16)), y_train=np.arange(20) % 2)
    assert make_dataset(str(path)).image_shape is None


# ---------------------------------------------------------------- the widgets alone


class WeightsApp(App):
    def compose(self) -> ComposeResult:
        yield WeightImages()
        yield ConfusionMatrix()


async def test_weight_images_grid_and_large_selected() -> None:
    app = WeightsApp()
    async with app.run_test(size=(60, 8)) as pilot:
        widget = app.query_one(WeightImages)
        W = np.zeros((64, 12))
        W[3, :] = 1.0  # every neuron: pixel (0, 3) strongly positive …
        W[10, :] = -1.0  # … and pixel (1, 2) strongly negative
        widget.set_weights(W, (8, 8))
        await pilot.pause()
        assert widget.count == 12
        first = cells(widget.render_line(0))
        assert first[3][1] == POSITIVE and first[2][2] == NEGATIVE  # upper pixel blue, lower pixel orange
        text = "\n".join(screen_text(widget))
        assert " 1 " in text and "more" in text  # numbered tiles, and not all twelve fit in 60×8
        widget.selected = (1, 4)
        await pilot.pause()
        assert half_block_runs(widget, 0)[0] >= 16  # the selected neuron large (at least twice the 8 cells)
        assert "[5]" in "\n".join(screen_text(widget))  # and marked in the grid
        assert "neuron 5 of 12" in str(widget.border_title)
        neuron, x, y = next(tile for tile in widget._tiles if tile[0] != 4)
        await pilot.click(WeightImages, offset=(x + 2, y + 1))  # a click on another small image selects it
        assert widget.selected == (1, neuron)
        await pilot.press("escape")
        assert widget.selected is None and widget.border_title == "what each neuron looks for"


async def test_weight_images_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = WeightsApp()
    async with app.run_test(size=(40, 10)) as pilot:
        widget = app.query_one(WeightImages)
        W = np.zeros((64, 3))
        W[0:8, :] = 1.0  # the top row of pixels
        widget.set_weights(W, (8, 8))
        await pilot.pause()
        W[-8:, :] = -1.0  # and the bottom row, negative
        widget.set_weights(W, (8, 8))
        await pilot.pause()
        assert widget.render_line(0).text[:8] == "+" * 8  # (+1 and 0) / 2: weakly positive
        assert widget.render_line(1).text[:8] == " " * 8  # 0: blank, the pixel does not matter
        assert widget.render_line(3).text[:8] == "-" * 8  # (0 and −1) / 2: weakly negative
        base = widget.rich_style
        assert all(s.style.color == base.color for s in widget.render_line(0))


@pytest.mark.parametrize("count,width,recall", [(80, 60, True), (80, 38, False), (130, 45, False)])
async def test_confusion_shows_every_count_and_header(count, width, recall) -> None:
    app = WeightsApp()
    async with app.run_test(size=(width, 16)) as pilot:
        matrix = app.query_one(ConfusionMatrix)
        m = np.diag(np.full(10, count)) + 1  # each class: count + 10 samples
        matrix.set_matrix(m, [str(i) for i in range(10)])
        await pilot.pause()
        text = screen_text(matrix)
        assert not any("…" in line for line in text)
        assert matrix.size.width <= width
        assert text[1].split() == ["t\\p", *map(str, range(10)), *(["recall"] if recall else [])]
        assert [line.split()[0] for line in text[2:12]] == [str(k) for k in range(10)]
        assert all(str(count + 1) in line for line in text[2:12])  # every diagonal count, whole
        assert text[5].split()[4:6] == [str(count + 1), "1"]  # a wide count beside a narrow one, apart
        largest_class = m.sum(axis=1).max()  # the widest count a column could come to hold
        assert matrix.narrowest() == 3 + 10 * (len(str(largest_class)) + 1)  # the counts alone, each with a gap


# ---------------------------------------------------------------- the app with digits


def confusion_counts(matrix: ConfusionMatrix, k: int) -> np.ndarray:
    """The counts the confusion table shows, read back from the screen."""
    text = screen_text(matrix)
    header = next(i for i, line in enumerate(text) if line.split()[:1] == ["t\\p"])
    rows = [line.split() for line in text[header + 1 : header + 1 + k]]
    return np.array([[0 if cell == "·" else int(cell) for cell in row[1 : k + 1]] for row in rows])


@pytest.mark.parametrize("size,train_fraction", [((80, 24), 0.5), ((120, 40), 0.5), ((80, 24), 0.2)])
async def test_digits_screen(size, train_fraction) -> None:
    app = make_app(**DIGITS, train_fraction=train_fraction)  # 0.2: over 100 test digits a class
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: app.dashboard.weights.count == 32)
        await pilot.pause()
        weights = app.dashboard.weights
        assert weights.display and not app.dashboard.diagram.display  # the weight images take the diagram's place
        shown = len(weights._tiles)
        assert shown >= 2 and (shown == 32 or "more" in "\n".join(screen_text(weights)))
        assert app.query_one(DigitsView).count > 0
        data = app.session.dataset
        counts = confusion_counts(app.dashboard.confusion, 10)
        assert counts.sum() == data.n_test  # every count is on screen …
        assert not any("…" in line for line in screen_text(app.dashboard.confusion))  # … and nothing is cut
        assert counts.tolist() == app.dashboard.confusion.matrix.tolist()

        await pilot.press("tab", "right", "right")  # the weight images take the focus; select neuron 2
        await pilot.pause()
        assert app.selected == (1, 1) and weights.selected == (1, 1)
        assert half_block_runs(weights, 0)[0] >= 16  # drawn large
        assert "neuron 2 of 32" in str(weights.border_title)
        await pilot.press("escape")
        await pilot.pause()
        assert app.selected is None and weights.selected is None


async def test_inspector_shows_the_sample_as_a_picture() -> None:
    app = make_app(**DIGITS)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.latest is not None)
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, InspectorScreen))
        await pilot.pause()
        sample = app.screen.query_one("#inspector-sample", DigitsView)
        assert sample.count == 1
        label = app.session.dataset.y_train[0]
        assert f"✗({label})" in sample.render_line(4).text or sample.render_line(4).text.strip().startswith(f"{label} ✓")
        assert half_block_runs(sample, 0) == [8]


async def test_npz_of_28x28_images_on_screen(tmp_path) -> None:
    path = tmp_path / "mnist.npz"
    mnist_like(path)
    app = make_app(dataset=str(path), layers="8", standardize=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.dashboard.weights.count == 8)
        await pilot.pause()
        assert app.dashboard.weights.shape == (28, 28)
        assert half_block_runs(app.dashboard.weights, 0)[0] == 14  # shrunk to 14×14 tiles
        assert app.query_one(DigitsView).count > 0
