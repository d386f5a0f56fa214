"""Bad files: CSV, .npz data and model files, corrupt archives and pickles each end in one line and exit code 2."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from nntui.engine import save_model

from tests.cli.helpers import W2, assert_usage_error, run_cli

pytestmark = pytest.mark.usefixtures("in_tmp_cwd")  # some accepted values, like --save abc, write files


def npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def npy_header_only(shape: tuple, descr: str = "<f8") -> bytes:
    """A .npy header that promises `shape` but carries no data."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def zip_members(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)


class Payload:
    """Unpickling this creates the marker file: proof that a file was unpickled."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _good_xy(n: int = 20):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 2))
    return x, (x[:, 0] > 0).astype(np.int64)


def _half(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


CSV_CASES = {
    "empty": "",
    "blank lines only": "\n  \n\n",
    "ragged": "1,2,0\n3,4,1\n5,6\n",
    "non-numeric": "1,2,0\n3,abc,1\n5,6,0\n",
    "empty cell": "1,2,0\n3,,1\n5,6,0\n",
    "nan": "1,2,0\n3,nan,1\n5,6,0\n",
    "inf": "1,2,0\n3,inf,1\n5,6,0\n",
    "single class": "1,2,1\n3,4,1\n5,6,1\n7,8,1\n",
    "header only": "a,b,label\n",
    "one column": "1\n2\n3\n",
    "one row": "1,2,0\n",
}


# "one row": found by this file (the split error did not name the file); fixed in beaed4a.
@pytest.mark.parametrize("content", list(CSV_CASES.values()), ids=list(CSV_CASES))
def test_bad_csv_files(capsys, tmp_path, content):
    f = tmp_path / "data.csv"
    f.write_text(content)
    code, _, err = run_cli(capsys, "--dataset", str(f))
    assert_usage_error(code, err, "data.csv")


def test_csv_that_is_not_utf8_or_is_a_folder(capsys, tmp_path):
    f = tmp_path / "latin.csv"
    f.write_bytes(b"1,2,0\n3,\xe94,1\n")
    code, _, err = run_cli(capsys, "--dataset", str(f))
    assert_usage_error(code, err, "latin.csv")
    (tmp_path / "folder.csv").mkdir()
    code, _, err = run_cli(capsys, "--dataset", str(tmp_path / "folder.csv"))
    assert_usage_error(code, err, "folder.csv")


def test_csv_fractional_labels_with_task_classification(capsys, tmp_path):
    f = tmp_path / "frac.csv"
    f.write_text("\n".join(f"{i},{i % 3},{i / 7}" for i in range(30)))
    code, _, err = run_cli(capsys, "--dataset", str(f), "--task", "classification")
    assert_usage_error(code, err, "frac.csv")


def _npz_missing_x(p):
    x, y = _good_xy()
    np.savez(p, y_train=y)


def _npz_missing_y(p):
    x, y = _good_xy()
    np.savez(p, x_train=x)


def _npz_y_2d(p):
    x, y = _good_xy()
    np.savez(p, x_train=x, y_train=y.reshape(-1, 1))


def _npz_length_mismatch(p):
    x, y = _good_xy()
    np.savez(p, x_train=x, y_train=y[:-3])


def _npz_test_length_mismatch(p):
    x, y = _good_xy()
    np.savez(p, x_train=x, y_train=y, x_test=x, y_test=y[:5])


def _npz_x_test_without_y_test(p):
    x, y = _good_xy()
    np.savez(p, x_train=x, y_train=y, x_test=x)


def _npz_nan(p):
    x, y = _good_xy()
    x[3, 1] = np.nan
    np.savez(p, x_train=x, y_train=y)


def _npz_strings(p):
    x, y = _good_xy()
    np.savez(p, x_train=x.astype(str), y_train=y)


def _npz_no_rows(p):
    np.savez(p, x_train=np.zeros((0, 2)), y_train=np.zeros(0))


def _npz_scalar(p):
    np.savez(p, x_train=np.float64(1.0), y_train=np.zeros(1))


def _npz_single_class(p):
    x, _ = _good_xy()
    np.savez(p, x_train=x, y_train=np.ones(len(x)))


def _npz_truncated(p):
    x, y = _good_xy(200)
    np.savez(p, x_train=x, y_train=y)
    _half(p)


def _npz_text(p):
    p.write_text("x_train,y_train\n1,2\n")


def _npz_zero_bytes(p):
    p.write_bytes(b"")


def _npz_pk_garbage(p):
    p.write_bytes(b"PK\x03\x04 definitely not a zip archive")


NPZ_CASES = {
    "missing x_train": _npz_missing_x,
    "missing y_train": _npz_missing_y,
    "y 2-D": _npz_y_2d,
    "length mismatch": _npz_length_mismatch,
    "test length mismatch": _npz_test_length_mismatch,
    "x_test without y_test": _npz_x_test_without_y_test,
    "nan": _npz_nan,
    "strings": _npz_strings,
    "no rows": _npz_no_rows,
    "scalar x": _npz_scalar,
    "single class": _npz_single_class,
    "truncated": _npz_truncated,
    "text named npz": _npz_text,
    "zero bytes": _npz_zero_bytes,
    "PK then garbage": _npz_pk_garbage,
}


@pytest.mark.parametrize("make", list(NPZ_CASES.values()), ids=list(NPZ_CASES))
def test_bad_npz_datasets(capsys, tmp_path, make):
    f = tmp_path / "data.npz"
    make(f)
    code, _, err = run_cli(capsys, "--dataset", str(f))
    assert_usage_error(code, err, "data.npz")


def test_bad_npz_as_the_test_set(capsys, tmp_path):
    good, bad = tmp_path / "good.npz", tmp_path / "bad.npz"
    x, y = _good_xy()
    np.savez(good, x_train=x, y_train=y)
    _npz_truncated(bad)
    code, _, err = run_cli(capsys, "--dataset", str(good), "--test-data", str(bad))
    assert_usage_error(code, err, "bad.npz")


def _object_npz(path: Path, marker: Path, key: str, others: dict) -> None:
    arrays = dict(others)
    arrays[key] = np.array([Payload(marker), Payload(marker)], dtype=object)
    np.savez(path, **arrays)


def test_the_pickle_payload_is_live():
    """The control: the payload does create its marker when a file is unpickled."""
    marker = Path("control-marker")
    _object_npz(Path("control.npz"), marker, "x_train", {"y_train": np.zeros(2)})
    with np.load("control.npz", allow_pickle=True) as z:
        z["x_train"]
    assert marker.exists()


@pytest.mark.parametrize("key", ["x_train", "y_train", "x_test"])
def test_object_arrays_in_data_are_refused_never_unpickled(capsys, tmp_path, key):
    marker = tmp_path / "UNPICKLED"
    x, y = _good_xy(2)
    others = {"x_train": x, "y_train": y}
    if key == "x_test":
        others["y_test"] = y
    _object_npz(tmp_path / "evil.npz", marker, key, others)
    code, _, err = run_cli(capsys, "--dataset", str(tmp_path / "evil.npz"))
    assert_usage_error(code, err, "evil.npz")
    assert not marker.exists()


@pytest.mark.parametrize("key", ["W0", "b1", "settings"])
def test_object_arrays_in_models_are_refused_never_unpickled(capsys, tmp_path, key):
    marker = tmp_path / "UNPICKLED"
    arrays = {"W0": np.zeros((2, 4)), "b0": np.zeros(4), "W1": np.zeros((4, 1)), "b1": np.zeros(1)}
    arrays.pop(key, None)
    _object_npz(tmp_path / "evil.npz", marker, key, arrays)
    code, _, err = run_cli(capsys, "--load", str(tmp_path / "evil.npz"))
    assert_usage_error(code, err, "evil.npz")
    assert not marker.exists()


def _model(p, **arrays):
    np.savez(p, **arrays)


def _model_truncated(p):
    save_model(p, [np.ones((2, 40)), np.ones((40, 1))], [np.ones(40), np.ones(1)], {"layers": [40]})
    _half(p)


MODEL_CASES = {
    "truncated": _model_truncated,
    "not a zip": lambda p: p.write_text("W0 = [[1, 2]]\n"),
    "zero bytes": lambda p: p.write_bytes(b""),
    "PK then garbage": lambda p: p.write_bytes(b"PK\x03\x04 not really a zip"),
    "no arrays": lambda p: _model(p, other=np.zeros(3)),
    "missing W1": lambda p: _model(p, W0=W2["W0"], b0=W2["b0"], W2=W2["W1"], b2=W2["b1"]),
    "missing b0": lambda p: _model(p, W0=W2["W0"], W1=W2["W1"], b1=W2["b1"]),
    "b does not fit W": lambda p: _model(p, **{**W2, "b0": np.zeros(3)}),
    "layers do not chain": lambda p: _model(p, **{**W2, "W1": np.zeros((3, 1))}),
    "W 3-D": lambda p: _model(p, **{**W2, "W0": np.zeros((2, 4, 1))}),
    "integer weights": lambda p: _model(p, **{**W2, "W0": np.zeros((2, 4), dtype=np.int64)}),
    "wrong input count": lambda p: _model(p, **{**W2, "W0": np.zeros((64, 4))}),
    "wrong output count": lambda p: _model(p, **{**W2, "W1": np.zeros((4, 3)), "b1": np.zeros(3)}),
    "zero-width layer": lambda p: _model(p, W0=np.zeros((2, 0)), b0=np.zeros(0), W1=np.zeros((0, 1)), b1=np.zeros(1)),
    "settings not json": lambda p: _model(p, **W2, settings=np.array("{not json")),
    "settings a list": lambda p: _model(p, **W2, settings=np.array("[1, 2]")),
    "settings bad value": lambda p: _model(p, **W2, settings=np.array('{"lr": -1, "layers": [4]}')),
    "settings bad layers": lambda p: _model(p, **W2, settings=np.array('{"layers": [8]}')),
}


@pytest.mark.parametrize("make", list(MODEL_CASES.values()), ids=list(MODEL_CASES))
def test_bad_model_files(capsys, tmp_path, make):
    f = tmp_path / "model.npz"
    make(f)
    code, _, err = run_cli(capsys, "--load", str(f))
    assert_usage_error(code, err, "model.npz")


# Corrupt archives whose members are not what numpy's .npz reader expects.
CORRUPT_MEMBERS = {
    # A member without the .npy magic: NpzFile returns its raw bytes instead of an array,
    # and the loaders call .dtype / .ndim on them.
    "data: member is not .npy": ("--dataset", {"x_train.npy": b"garbage", "y_train.npy": npy(np.zeros(4))}),
    "model: member is not .npy": ("--load", {"W0.npy": b"garbage", "b0.npy": b"garbage"}),
    # A header promising 2**57 float64 values: numpy tries to allocate 1 EiB before reading.
    "data: header promises 1 EiB": ("--dataset", {"x_train.npy": npy_header_only((2**56, 2)), "y_train.npy": npy(np.zeros(4))}),
    "model: header promises 1 EiB": ("--load", {"W0.npy": npy_header_only((2**56, 2)), "b0.npy": npy(np.zeros(2))}),
    # Settings nested deeper than the JSON decoder's recursion limit.
    "model: settings nested 100000 deep": ("--load", {**{f"{k}.npy": npy(v) for k, v in W2.items()}, "settings.npy": npy(np.array("[" * 100_000))}),
}


# Found by this file (tracebacks: AttributeError, MemoryError, RecursionError); fixed in beaed4a.
@pytest.mark.parametrize("which", list(CORRUPT_MEMBERS), ids=list(CORRUPT_MEMBERS))
def test_corrupt_npz_members_give_one_line(capsys, tmp_path, which):
    option, members = CORRUPT_MEMBERS[which]
    f = tmp_path / "corrupt.npz"
    zip_members(f, members)
    code, _, err = run_cli(capsys, option, str(f))
    assert_usage_error(code, err, "corrupt.npz")
