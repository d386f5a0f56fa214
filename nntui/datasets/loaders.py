"""Real data: the bundled handwritten digits, and user .csv / .npz files."""

from __future__ import annotations

import gzip
import io
import os
import zipfile
from dataclasses import dataclass
from importlib import resources

import numpy as np

from nntui.files import input_file_problem

from .errors import DataError


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """Load the bundled 8x8 digits: x (1797, 64) float64 in [0, 1] and y (1797,) int64 in 0..9."""
    packed = resources.files("nntui.datasets").joinpath("data").joinpath("digits.csv.gz").read_bytes()
    text = gzip.decompress(packed).decode("ascii")
    table = np.loadtxt(io.StringIO(text), delimiter=",", dtype=np.int64, ndmin=2)
    x = table[:, :64].astype(np.float64) / 16.0  # pixel values are 0..16
    y = table[:, 64].astype(np.int64)
    return x, y


MAX_TEXT_BYTES = 256 * 2**20  # a CSV larger than this is refused before it is read
MAX_NPZ_BYTES = 2 * 2**30  # an .npz whose arrays unpack to more than this, likewise


def _read_text(path: str | os.PathLike) -> str:
    """Read a whole text file, turning the usual failures into DataError."""
    name = str(path)
    problem = input_file_problem(path, MAX_TEXT_BYTES)
    if problem:
        raise DataError(f"{name}: {problem}")
    try:
        with open(path, encoding="utf-8-sig") as f:  # utf-8-sig drops a leading byte-order mark
            return f.read()
    except FileNotFoundError:
        raise DataError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{name}: is a directory, not a file") from None
    except UnicodeDecodeError:
        raise DataError(f"{name}: not a UTF-8 text file") from None
    except OSError as e:
        raise DataError(f"{name}: cannot read ({e.strerror or e})") from None


def _is_number(cell: str) -> bool:
    """True if the text parses as a float."""
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _bad_cell_message(name: str, line_number: int, cells: list[str]) -> str:
    """Describe the first cell of a row that is not a number."""
    for column, cell in enumerate(cells, start=1):
        if cell.strip() == "":
            return f"{name}: line {line_number}: column {column} is empty"
        if not _is_number(cell):
            return f"{name}: line {line_number}: column {column} is {cell.strip()!r}, not a number"
    return f"{name}: line {line_number}: cannot read the numbers"


@dataclass(frozen=True)
class CsvData:
    """What a CSV file holds: inputs, labels, and the names its header gives them."""

    x: np.ndarray  # (n, d) float64, the first columns
    labels: np.ndarray  # (n,) float64, the last column (class numbers when it holds text)
    columns: tuple[str, ...] | None  # the input columns' names, from a header row
    label_names: tuple[str, ...] | None  # the classes, when the labels are text (label k is label_names[k])


def load_csv(path: str | os.PathLike) -> CsvData:
    """Load a comma-separated file: numeric input columns, then the label (a number, or text for a
    class name).  An optional header row names the columns; lines starting with # are comments."""
    name = str(path)
    text = _read_text(path)
    rows: list[list[float]] = []
    labels: list[str] = []
    line_numbers: list[int] = []  # the file line of each row, for error messages
    header: list[str] | None = None
    n_columns = 0  # set by the first row
    for line_number, line in enumerate(text.split("\n"), start=1):
        if line.strip() == "" or line.lstrip().startswith("#"):
            continue  # blank lines and comments are allowed anywhere
        cells = line.split(",")
        if n_columns == 0:
            if len(cells) < 2:
                raise DataError(
                    f"{name}: line {line_number}: need at least 2 comma-separated columns "
                    f"(features, then the label), got {len(cells)}"
                )
            n_columns = len(cells)
            if not all(_is_number(cell) for cell in cells[:-1]):
                header = [cell.strip() for cell in cells]  # text among the inputs: a header
                continue
        if len(cells) != n_columns:
            raise DataError(f"{name}: line {line_number}: expected {n_columns} columns, got {len(cells)}")
        try:
            rows.append([float(cell) for cell in cells[:-1]])
        except ValueError:
            raise DataError(_bad_cell_message(name, line_number, cells[:-1])) from None
        if cells[-1].strip() == "":
            raise DataError(f"{name}: line {line_number}: column {n_columns} (the label) is empty")
        labels.append(cells[-1].strip())
        line_numbers.append(line_number)
    if n_columns == 0:
        raise DataError(f"{name}: the file is empty")
    if len(rows) == 0:
        raise DataError(f"{name}: no data rows (only a header)")
    x = np.array(rows, dtype=np.float64)
    label_names = None
    if all(_is_number(label) for label in labels):
        y = np.array([float(label) for label in labels])
    else:  # text labels are class names, numbered in sorted order
        label_names = tuple(sorted(set(labels)))
        y = np.searchsorted(np.array(label_names), np.array(labels)).astype(np.float64)
    table = np.column_stack([x, y])
    not_finite = ~np.isfinite(table)
    if not_finite.any():
        row, column = np.argwhere(not_finite)[0]
        raise DataError(
            f"{name}: line {line_numbers[row]}: column {column + 1} is {table[row, column]}, not a finite number"
        )
    columns = tuple(header[:-1]) if header else None
    return CsvData(x, y, columns, label_names)


def _read_array(archive: np.lib.npyio.NpzFile, key: str, name: str) -> np.ndarray:
    """Read one array from an open .npz archive, refusing object (pickled) arrays."""
    try:
        array = archive[key]
    except ValueError as e:
        if "allow_pickle" in str(e):  # NumPy's error for object arrays when pickles are disallowed
            raise DataError(
                f"{name}: array {key!r} holds Python objects (dtype=object); refusing to load it "
                "because that would need pickle; save plain numeric arrays instead"
            ) from None
        raise DataError(f"{name}: not a valid .npz file ({key!r}: {e})") from None
    except (zipfile.BadZipFile, OSError, EOFError, MemoryError) as e:  # MemoryError: a forged shape
        raise DataError(f"{name}: not a valid .npz file ({key!r}: {type(e).__name__} {e})") from None
    if not isinstance(array, np.ndarray):  # a member that is not a .npy comes back as raw bytes
        raise DataError(f"{name}: not a valid .npz file ({key!r} is not a NumPy array)")
    return array


def _check_numeric(array: np.ndarray, key: str, name: str) -> None:
    """Raise DataError unless the array holds booleans, integers or floats."""
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
            or array.dtype == np.bool_):
        raise DataError(f"{name}: array {key!r} has dtype {array.dtype}, expected numbers")


def _as_inputs(array: np.ndarray, key: str, name: str) -> np.ndarray:
    """Check an x array and flatten it to (n, d) float64 (e.g. (n, 28, 28) -> (n, 784))."""
    _check_numeric(array, key, name)
    if array.ndim == 0:
        raise DataError(f"{name}: array {key!r} is a single number, expected one row per sample")
    if array.shape[0] == 0:
        raise DataError(f"{name}: array {key!r} has no rows")
    x = array.reshape(array.shape[0], -1).astype(np.float64)
    if x.shape[1] == 0:
        raise DataError(f"{name}: array {key!r} has no features (shape {array.shape})")
    if not np.all(np.isfinite(x)):
        raise DataError(f"{name}: array {key!r} contains NaN or infinite values")
    return x


def _as_labels(array: np.ndarray, key: str, name: str) -> np.ndarray:
    """Check a y array and return it as (n,) float64."""
    _check_numeric(array, key, name)
    if array.ndim != 1:
        raise DataError(f"{name}: array {key!r} must be 1-D (one label per row), got shape {array.shape}")
    y = array.astype(np.float64)
    if not np.all(np.isfinite(y)):
        raise DataError(f"{name}: array {key!r} contains NaN or infinite values")
    return y


MIN_IMAGE_SIDE = 4  # x arrays of (n, h, w) or (n, h, w, 1) with both sides at least this are images


@dataclass(frozen=True)
class NpzData:
    """What a Keras-style .npz holds: inputs flattened to (n, d) float64, labels (n,) float64."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    image_shape: tuple[int, int] | None  # (height, width) when x_train held grey images, else None


def image_shape_of(array: np.ndarray) -> tuple[int, int] | None:
    """(height, width) if `array` holds one grey image per row ((n, h, w) or (n, h, w, 1)), else None."""
    shape = array.shape[1:]
    if len(shape) == 3 and shape[2] == 1:
        shape = shape[:2]
    if len(shape) == 2 and min(shape) >= MIN_IMAGE_SIDE:
        return int(shape[0]), int(shape[1])
    return None


def load_npz(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Load a Keras-style .npz (x_train, y_train, optional x_test, y_test) as float64 (n, d) inputs and (n,) labels."""
    data = read_npz(path)
    return data.x_train, data.y_train, data.x_test, data.y_test


def read_npz(path: str | os.PathLike) -> NpzData:
    """Load a Keras-style .npz like load_npz, keeping the image shape of its x arrays."""
    name = str(path)
    problem = input_file_problem(path, MAX_NPZ_BYTES)
    if problem:
        raise DataError(f"{name}: {problem}")
    try:
        with open(path, "rb") as f:
            start = f.read(2)
    except OSError as e:
        raise DataError(f"{name}: cannot read ({e.strerror or e})") from None
    # An .npz is a zip archive, and every zip archive starts with "PK".
    # Checking first means np.load never has to guess what else the file might be.
    if start != b"PK":
        raise DataError(f"{name}: not a valid .npz file (it is not a zip archive)")
    try:
        unpacked = sum(info.file_size for info in zipfile.ZipFile(path).infolist())
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise DataError(f"{name}: not a valid .npz file ({e})") from None
    if unpacked > MAX_NPZ_BYTES:
        raise DataError(f"{name}: its arrays unpack to {unpacked / 2**30:,.1f} GB, more than nntui reads "
                        f"({MAX_NPZ_BYTES / 2**30:,.0f} GB)")
    try:
        archive = np.load(path, allow_pickle=False)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as e:
        raise DataError(f"{name}: not a valid .npz file ({e})") from None

    with archive:
        found = list(archive.files)
        for key in ("x_train", "y_train"):
            if key not in found:
                listing = ", ".join(found) if found else "nothing"
                raise DataError(f"{name}: missing array {key!r} (the file has: {listing})")
        if "x_test" in found and "y_test" not in found:
            raise DataError(f"{name}: has 'x_test' but no 'y_test'")
        if "y_test" in found and "x_test" not in found:
            raise DataError(f"{name}: has 'y_test' but no 'x_test'")
        raw_train = _read_array(archive, "x_train", name)
        image_shape = image_shape_of(raw_train)
        x_train = _as_inputs(raw_train, "x_train", name)
        y_train = _as_labels(_read_array(archive, "y_train", name), "y_train", name)
        x_test = None
        y_test = None
        if "x_test" in found:
            x_test = _as_inputs(_read_array(archive, "x_test", name), "x_test", name)
            y_test = _as_labels(_read_array(archive, "y_test", name), "y_test", name)

    if len(x_train) != len(y_train):
        raise DataError(f"{name}: 'x_train' has {len(x_train)} rows but 'y_train' has {len(y_train)}")
    if x_test is not None and y_test is not None:
        if len(x_test) != len(y_test):
            raise DataError(f"{name}: 'x_test' has {len(x_test)} rows but 'y_test' has {len(y_test)}")
        if x_test.shape[1] != x_train.shape[1]:
            raise DataError(
                f"{name}: 'x_test' has {x_test.shape[1]} features per row but 'x_train' has {x_train.shape[1]}"
            )
    return NpzData(x_train, y_train, x_test, y_test, image_shape)
