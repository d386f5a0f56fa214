"""Nothing a run made is lost: signals, a closed pipe and a failing output still leave the rest written."""

from __future__ import annotations

import errno
import io
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from nntui.cli import main
from nntui.engine import load_model
from nntui.files import atomic_write
from nntui.headless import run_headless
from nntui.live import metrics as metrics_module
from nntui.session import build_session
from nntui.settings import merge

ROOT = Path(__file__).resolve().parents[2]
LONG = ["--headless", "--epochs", "1000000", "--dataset", "circle"]


def start(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "nntui", *args], cwd=ROOT, stderr=subprocess.PIPE,
                            text=True, **kwargs)


def wait_for_lines(path: Path, n: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and len(path.read_text().splitlines()) >= n:
            return
        time.sleep(0.05)
    raise AssertionError(f"{path} did not get {n} lines")


def no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_signal_stops_headless_training_and_keeps_the_model_and_metrics(tmp_path, sig):
    model, metrics = tmp_path / "m.npz", tmp_path / "m.csv"
    run = start(*LONG, "--save", str(model), "--metrics", str(metrics), stdout=subprocess.DEVNULL)
    try:
        wait_for_lines(metrics, 3)
        run.send_signal(sig)
        _, err = run.communicate(timeout=60)
    finally:
        run.kill()
    assert run.returncode == 128 + sig
    assert len(err.strip().splitlines()) == 1 and f"interrupted by {sig.name} at epoch" in err, err
    W, b, settings = load_model(model)
    assert f"interrupted by {sig.name}" in settings["interrupted"] and np.isfinite(W[0]).all()
    lines = metrics.read_text().splitlines()
    assert lines[0].startswith("epoch,") and lines[-1].startswith(f"# interrupted by {sig.name} at epoch")
    assert no_temp_files(tmp_path)


def test_a_closed_pipe_stops_the_printing_not_the_run(tmp_path):
    model = tmp_path / "m.npz"
    run = start("--headless", "--epochs", "300", "--save", str(model), stdout=subprocess.PIPE)
    try:
        first = [run.stdout.readline() for _ in range(2)]  # as `| head -2`
        run.stdout.close()
        err = run.stderr.read()
        run.wait(60)
    finally:
        run.kill()
    assert first[0].startswith("epoch     0")
    assert run.returncode == 0 and err == ""
    assert load_model(model)[2]["layers"] == [4, 2]


def test_a_failing_metrics_file_does_not_keep_the_model_from_being_saved(tmp_path, monkeypatch, capsys):
    model, metrics = tmp_path / "m.npz", tmp_path / "m.jsonl"
    session = build_session(merge({"save": str(model), "metrics": str(metrics)}))
    real_open = open

    class FullDisk(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(metrics_module, "open", lambda *a, **k: FullDisk(), raising=False)
    try:
        code = run_headless(session, 5, False, io.StringIO())
    finally:
        monkeypatch.setattr(metrics_module, "open", real_open, raising=False)
    err = capsys.readouterr().err
    assert code == 1
    assert f"could not write {metrics}: No space left on device" in err
    assert load_model(model)[0]  # the model was written all the same


@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_saving_refuses_what_is_not_a_regular_file(tmp_path, capsys, kind):
    target = tmp_path / "target.npz"
    os.mkfifo(target) if kind == "fifo" else target.mkdir()
    with pytest.raises(OSError, match="not a regular file"):
        atomic_write(target, lambda f: f.write(b"x"))
    assert main(["--headless", "--epochs", "1", "--save", str(target)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "not a regular file" in err
    assert (stat.S_ISFIFO if kind == "fifo" else stat.S_ISDIR)(target.stat().st_mode)
    assert no_temp_files(tmp_path)


def test_saving_writes_through_a_symlink_and_keeps_the_files_mode(tmp_path):
    real = tmp_path / "real.npz"
    real.write_bytes(b"old")
    real.chmod(0o640)
    link = tmp_path / "link.npz"
    link.symlink_to(real)
    atomic_write(link, lambda f: f.write(b"new"))
    assert link.is_symlink() and real.read_bytes() == b"new"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


def test_a_new_file_follows_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        atomic_write(tmp_path / "new.npz", lambda f: f.write(b"x"))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.npz").stat().st_mode) == 0o640


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in any folder")
def test_an_unwritable_folder_is_found_before_training(tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        assert main(["--headless", "--epochs", "1", "--save", str(folder / "m.npz")]) == 2
    finally:
        folder.chmod(0o700)
    assert "cannot write" in capsys.readouterr().err
