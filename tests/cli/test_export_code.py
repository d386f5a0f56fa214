"""Export as code: a saved model written out as a NumPy or PyTorch script computes what nntui computes."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nntui.cli import main
from nntui.engine import decode_outputs
from nntui.engine.activations import HIDDEN_ACTIVATIONS
from nntui.engine.model_file import load_model, save_model
from nntui.export_code import model_code, read_model_file, target_for
from nntui.session import build_session, load_data, resolve_settings

RUNS = {
    "circle-tanh": ["--dataset", "circle", "--layers", "4,3"],
    "spiral-3-softmax": ["--dataset", "spiral", "--classes", "3", "--layers", "8,8", "--activation", "relu"],
    "plane-regression": ["--dataset", "plane", "--layers", "4"],
    "features": ["--dataset", "circle", "--features", "x1,x2,x1sq,x2sq,sinx1", "--layers", "3"],
    "standardize": ["--dataset", "xor", "--standardize", "--features", "x1,x2,x1x2", "--layers", "4"],
    "digits-relu": ["--dataset", "digits", "--layers", "16", "--activation", "relu", "--standardize"],
    "sigmoid-output": ["--dataset", "moons", "--loss", "bce", "--layers", "5"],
    **{f"hidden-{name}": ["--dataset", "gauss", "--layers", "3", "--activation", name]
       for name in HIDDEN_ACTIVATIONS if name not in ("tanh", "relu")},
}


def train(tmp_path: Path, capsys, args: list[str]) -> Path:
    """A model trained for a few epochs, saved."""
    path = tmp_path / "model.npz"
    assert main(["--headless", "--epochs", "3", "--samples", "200", *args, "--save", str(path)]) == 0
    capsys.readouterr()
    return path


def load_script(path: Path, text: str):
    """The script as a module of its own (it must not need nntui's state)."""
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"exported_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def nntui_results(model_path: Path):
    """The raw test inputs (2-D points, or the data's own columns), nntui's outputs and predicted class names/values."""
    settings, weights = resolve_settings({"load": str(model_path)})
    session = build_session(settings, weights)
    data = session.dataset
    raw = data.points_test if data.is_2d else load_data(settings.replace(standardize=False)).x_test
    a = session.net.predict(data.x_test).copy()
    decoded = decode_outputs(a, data.task, session.output)
    expected = np.asarray(data.class_names)[decoded] if data.task == "classification" else decoded
    return raw, data.x_test, a, expected


@pytest.mark.parametrize("run", list(RUNS))
def test_numpy_script_computes_what_nntui_computes(tmp_path, capsys, run):
    model_path = train(tmp_path, capsys, RUNS[run])
    script = load_script(tmp_path / "exported.py", model_code(read_model_file(str(model_path)), "numpy"))
    raw, x, a, expected = nntui_results(model_path)
    np.testing.assert_allclose(script.inputs(raw), x, rtol=0, atol=1e-12)
    np.testing.assert_allclose(script.outputs(raw), a, rtol=0, atol=1e-12)
    assert np.array_equal(script.predict(raw), expected)
    W, b, _ = load_model(model_path)  # the literals read back as the very same numbers
    for l, (w, bias) in enumerate(zip(W, b), start=1):
        assert np.array_equal(getattr(script, f"W{l}"), w) and np.array_equal(getattr(script, f"b{l}"), bias)


def test_script_runs_on_its_own_in_a_fresh_python(tmp_path, capsys):
    """Isolated (-I, from another folder): nothing of nntui is importable there, only NumPy."""
    model_path = train(tmp_path, capsys, RUNS["spiral-3-softmax"])
    script = tmp_path / "spiral.py"
    assert main(["export", str(model_path), "-o", str(script)]) == 0
    raw, _, a, expected = nntui_results(model_path)
    np.save(tmp_path / "raw.npy", raw)
    code = ("import numpy as np, runpy, sys; sys.modules['nntui'] = None\n"
            f"m = runpy.run_path({str(script)!r}); x = np.load({str(tmp_path / 'raw.npy')!r})\n"
            "np.save('out.npy', m['outputs'](x)); print(' '.join(m['predict'](x)))")
    done = subprocess.run([sys.executable, "-I", "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), a, rtol=0, atol=1e-12)
    assert done.stdout.split() == list(expected)


def test_script_says_what_it_takes_and_gives(tmp_path, capsys):
    text = model_code(read_model_file(str(train(tmp_path, capsys, RUNS["standardize"]))), "numpy")
    doc = text.split('"""')[1]
    assert "raw 2-D points" in doc and "x1x2" in doc and "standardised" in doc
    assert "one of -1, +1" in doc
    assert "import nntui" not in text and "from nntui" not in text
    assert "# Written by nntui" in text and "dataset=xor" in text and "standardize=True" in text
    assert "def tanh(z):" in text and "def relu(z):" not in text  # one function per activation used


def test_a_switched_off_neuron_stays_off_in_the_script(tmp_path, capsys):
    model_path = train(tmp_path, capsys, RUNS["circle-tanh"])
    W, b, settings = load_model(model_path)
    W[1][2, :] = 0.7  # weights out of a neuron the file says is off: nntui holds them at zero
    save_model(model_path, W, b, settings, off=[(1, 2)])
    script = load_script(tmp_path / "off.py", model_code(read_model_file(str(model_path))))
    raw, _, a, _ = nntui_results(model_path)
    np.testing.assert_allclose(script.outputs(raw), a, rtol=0, atol=1e-12)
    assert np.all(script.W2[2] == 0.0)


@pytest.mark.parametrize("run", ["circle-tanh", "spiral-3-softmax", "plane-regression", "standardize", "digits-relu"])
def test_pytorch_script_is_an_nn_sequential_with_the_weights(tmp_path, capsys, run):
    model_path = train(tmp_path, capsys, RUNS[run])
    text = model_code(read_model_file(str(model_path)), "pytorch")
    compile(text, "exported_torch.py", "exec")
    n_layers = len(load_model(model_path)[0])
    assert "model = nn.Sequential(" in text and text.count("nn.Linear(") == n_layers
    assert text.count(".weight.copy_(") == n_layers and text.count(".bias.copy_(") == n_layers
    assert "import numpy" not in text and "import nntui" not in text and "from nntui" not in text
    torch = pytest.importorskip("torch")
    script = load_script(tmp_path / "exported_torch.py", text)
    assert isinstance(script.model, torch.nn.Sequential)
    raw, _, a, expected = nntui_results(model_path)
    np.testing.assert_allclose(script.outputs(raw).numpy(), a, rtol=0, atol=1e-6)
    if run == "plane-regression":
        np.testing.assert_allclose(script.predict(raw).numpy(), expected, rtol=0, atol=1e-6)
    else:
        assert script.predict(raw) == list(expected)


def test_the_tui_picks_pytorch_by_the_file_name():
    assert target_for("model.py") == "numpy"
    assert target_for("model_torch.py") == target_for("dir/model-TORCH.py") == "pytorch"


# ------------------------------------------------------------------ the command
def test_export_writes_the_file_or_prints_it(tmp_path, capsys):
    model_path = train(tmp_path, capsys, RUNS["circle-tanh"])
    out = tmp_path / "circle.py"
    assert main(["export", str(model_path), "--to", "numpy", "-o", str(out)]) == 0
    printed_code = main(["export", str(model_path)])
    printed, err = capsys.readouterr()
    assert printed_code == 0 and err == ""

    def body(text: str) -> list[str]:
        return [line for line in text.splitlines() if not line.startswith("# Written by")]

    assert body(out.read_text(encoding="utf-8")) == body(printed)
    assert main(["export", str(model_path), "--to", "pytorch"]) == 0
    assert "nn.Sequential" in capsys.readouterr().out


@pytest.mark.parametrize("case", ["missing", "corrupt", "unknown-to", "no-folder", "a-folder", "data-gone"])
def test_export_bad_input_is_one_line_and_exit_2(tmp_path, capsys, case):
    model_path = tmp_path / "model.npz"
    args = [str(model_path)]
    if case == "corrupt":
        model_path.write_bytes(b"not a zip")
    elif case == "data-gone":
        data = tmp_path / "points.csv"
        data.write_text("x1,x2,label\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(20)))
        assert main(["--headless", "--epochs", "1", "--dataset", str(data), "--save", str(model_path)]) == 0
        data.unlink()
    elif case != "missing":
        train(tmp_path, capsys, RUNS["circle-tanh"])
        args += {"unknown-to": ["--to", "jax"], "no-folder": ["-o", str(tmp_path / "nope" / "m.py")],
                 "a-folder": ["-o", str(tmp_path)]}[case]
    capsys.readouterr()
    try:
        code = main(["export", *args])
    except SystemExit as e:  # argparse's usage errors
        code = e.code
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("nntui export: error:"), err
    assert "Traceback" not in err


# ------------------------------------------------------------------ x in the TUI
@pytest.mark.parametrize("dataset, name, steps", [("circle", "lesson.py", 3), ("digits", "digits_torch.py", 2)])
async def test_x_ends_with_the_model_as_code(tmp_path, dataset, name, steps):
    """After the metrics, the screenshot (and 2-D data's points), each skipped here: the model shown as code."""
    from nntui.tui.path_dialog import PathDialog
    from tests.tui.helpers import make_app, type_path, wait_for

    app = make_app(dataset=dataset, layers=[8], activation="relu", standardize=True)
    path = tmp_path / name
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest is not None)
        await pilot.press("s", "s")  # two epochs: not the initial weights
        await wait_for(pilot, lambda: app.latest.snapshot.epoch == 2)
        await pilot.press("x")
        for _ in range(steps):
            await wait_for(pilot, lambda: isinstance(app.screen, PathDialog))
            await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, PathDialog) and "as code" in app.screen.title_text)
        await type_path(pilot, str(path))
        await wait_for(pilot, lambda: path.exists())
        data = app.session.dataset
        expected = app.view.net.predict(data.x_test).copy()
    text = path.read_text(encoding="utf-8")
    assert "at epoch 2 of a run in nntui" in text
    if name.endswith("torch.py"):
        compile(text, str(path), "exec")
        assert "model = nn.Sequential(" in text
        return
    script = load_script(path, text)
    np.testing.assert_allclose(script.outputs(data.points_test), expected, rtol=0, atol=1e-12)


def test_a_float32_model_is_computed_in_float64_and_says_so(tmp_path, capsys):
    model_path = train(tmp_path, capsys, [*RUNS["digits-relu"], "--dtype", "float32"])
    text = model_code(read_model_file(str(model_path)))
    assert "nntui trained it in float32" in text and "8×8 image's pixels" in text
    script = load_script(tmp_path / "f32.py", text)
    raw, _, a, expected = nntui_results(model_path)
    np.testing.assert_allclose(script.outputs(raw), a, rtol=0, atol=1e-5)
    assert np.mean(script.predict(raw) == expected) > 0.99
