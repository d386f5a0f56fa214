"""Bad input of every kind ends in one line and exit code 2: never a traceback, a hang or a raw NumPy warning."""

from __future__ import annotations

import io
import os
import zipfile

import numpy as np
import pytest

from nntui.cli import main
from nntui.engine import save_model
from nntui.session import build_session, read_config
from nntui.settings import SettingsError, merge


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["--headless", "--epochs", "1", *args])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code: int, err: str, *words: str) -> None:
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and err.startswith("nntui: error:"), err
    assert "Traceback" not in err and "Warning" not in err, err
    for word in words:
        assert word in err, err


def _npy_header(shape: tuple[int, ...]) -> bytes:
    """The header of a .npy file of float64s of this shape (magic, version and all), without its data."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False, "shape": shape})
    return buf.getvalue()


def test_a_run_too_large_for_memory_names_the_setting_to_lower(capsys):
    code, _, err = run(capsys, "--samples", "1000000", "--layers", "4096")
    one_line_error(code, err, "GB of memory", "lower --samples")


def test_a_model_that_declares_huge_arrays_is_refused_before_unpacking(tmp_path, capsys):
    model = tmp_path / "forged.npz"
    with zipfile.ZipFile(model, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("W0.npy", _npy_header((2, 67_108_864)))
        z.writestr("b0.npy", _npy_header((67_108_864,)))
    assert model.stat().st_size < 10_000
    code, _, err = run(capsys, "--load", str(model))
    one_line_error(code, err, "would unpack to", "GB")


def test_non_finite_weights_in_a_model_file_are_a_data_error(tmp_path, capsys):
    model = tmp_path / "nan.npz"
    save_model(model, [np.full((2, 4), np.nan), np.ones((4, 1))], [np.zeros(4), np.zeros(1)], {"layers": [4]})
    code, _, err = run(capsys, "--load", str(model))
    one_line_error(code, err, "NaN or infinite")


@pytest.mark.parametrize("suffix", [".csv", ".npz"])
def test_a_fifo_is_refused_at_once_not_read_forever(tmp_path, capsys, suffix):
    fifo = tmp_path / f"data{suffix}"
    os.mkfifo(fifo)
    code, _, err = run(capsys, "--dataset", str(fifo))
    one_line_error(code, err, "not a regular file")


def test_a_link_to_an_endless_device_is_refused(tmp_path, capsys):
    link = tmp_path / "zero.csv"
    link.symlink_to("/dev/zero")
    code, _, err = run(capsys, "--dataset", str(link))
    one_line_error(code, err, "not a regular file")


def test_a_huge_sparse_csv_is_refused_by_its_size_before_it_is_read(tmp_path, capsys):
    big = tmp_path / "big.csv"
    with open(big, "wb") as f:
        f.truncate(2 * 2**30)  # 2 GB of nothing: no disk used
    code, _, err = run(capsys, "--dataset", str(big))
    one_line_error(code, err, "MB, more than nntui reads")


def test_inputs_beyond_float32_are_a_data_error_not_a_divergence(tmp_path, capsys):
    csv = tmp_path / "huge.csv"
    csv.write_text("".join(f"{i}e300,{i}e300,{i % 2}\n" for i in range(1, 41)))
    code, _, err = run(capsys, "--dataset", str(csv), "--dtype", "float32")
    one_line_error(code, err, "do not fit --dtype float32")
    code, _, err = run(capsys, "--dataset", str(csv), "--standardize")
    one_line_error(code, err, "--standardize overflows")


def test_config_takes_every_flag_name_a_bom_and_refuses_two_spellings(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("\ufeffno-shuffle = true\nbatch-size = 32\n", encoding="utf-8")
    assert read_config(str(config)) == {"shuffle": False, "batch_size": 32}
    config.write_text("batch-size = 32\nbatch_size = 16\n")
    with pytest.raises(SettingsError, match="both 'batch-size' and 'batch_size'"):
        read_config(str(config))
    config.write_text("layers = 'x'\n")
    with pytest.raises(SettingsError, match=f"--config: {config}:"):  # the file is named
        read_config(str(config))


def test_playground_preset_on_regression_uses_a_linear_output():
    session = build_session(merge({"preset": "playground", "dataset": "plane"}))
    assert session.output == "linear" and session.loss == "squared"
    classification = build_session(merge({"preset": "playground"}))
    assert classification.output == "tanh" and classification.loss == "squared"


async def test_a_too_large_run_from_the_settings_form_or_a_model_file_is_an_inline_message():
    from nntui.tui.app import NNTuiApp

    app = NNTuiApp(build_session(merge({"paused": True})))
    async with app.run_test(size=(120, 40)) as pilot:
        while app.latest is None:
            await pilot.pause(0.05)
        app._rebuild(app.settings.replace(samples=1_000_000, layers=(4096,)), "rebuilt")
        await pilot.pause()
        notes = [n.message for n in app._notifications]
        assert any("GB of memory" in n for n in notes), notes
        assert app.return_code is None and app.session.settings.samples == 500  # the run goes on as it was
        await pilot.press("q")
