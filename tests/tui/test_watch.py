"""``nntui watch``: following metrics files as they grow, and the app that plots them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from nntui.cli import main
from nntui.live.follow import Columns, FileFollower
from nntui.tui.watch_app import WatchApp
from nntui.tui.watch_plot import WatchPlot


def append(path, text: str) -> None:
    """Append text to a file from another process, as a training script would."""
    code = "import sys; f = open(sys.argv[1], 'a'); f.write(sys.argv[2]); f.close()"
    subprocess.run([sys.executable, "-c", code, str(path), text], check=True)


def jsonl(*rows: dict) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


# ------------------------------------------------------------------ the follower
def test_follows_lines_appended_by_another_process(tmp_path):
    path = tmp_path / "m.jsonl"
    follower = FileFollower(path)
    assert follower.poll() == 0 and not follower.exists  # not there yet: waits
    append(path, jsonl({"epoch": 1, "train_loss": 0.9}, {"epoch": 2, "train_loss": 0.7, "lr": 0.1}))
    assert follower.poll() == 2
    assert follower.poll() == 0  # nothing new
    append(path, jsonl({"epoch": 3, "train_loss": 0.5, "lr": 0.1}))
    assert follower.poll() == 1
    columns = follower.columns
    assert columns.x_name == "epoch"
    assert columns.fields == ["train_loss", "lr"]
    assert columns.x().tolist() == [1, 2, 3]
    assert columns.column("train_loss").tolist() == [0.9, 0.7, 0.5]
    assert np.isnan(columns.column("lr")[0])  # the first line had no lr
    assert columns.latest["train_loss"] == 0.5
    follower.close()


def test_partial_last_line_waits_for_its_newline(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text('{"step": 10, "loss": 2.0}\n{"step": 20, "lo')
    follower = FileFollower(path)
    assert follower.poll() == 1
    append(path, 'ss": 1.5}\n')
    assert follower.poll() == 1
    assert follower.columns.x_name == "step"
    assert follower.columns.column("loss").tolist() == [2.0, 1.5]
    assert follower.errors == 0
    follower.close()


def test_truncation_starts_the_story_again(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text(jsonl(*({"epoch": e, "train_loss": 1.0 / (e + 1)} for e in range(5))))
    follower = FileFollower(path)
    assert follower.poll() == 5
    path.write_text(jsonl({"epoch": 0, "train_loss": 3.0}))  # opened with "w": a new run
    assert follower.poll() == 1
    assert follower.events == ["truncated"]
    assert follower.columns.x().tolist() == [0]
    assert follower.columns.column("train_loss").tolist() == [3.0]
    follower.close()


def test_rotation_reads_the_old_file_to_its_end_then_the_new_one(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text(jsonl({"epoch": 1, "loss": 1.0}))
    follower = FileFollower(path)
    assert follower.poll() == 1
    append(path, jsonl({"epoch": 2, "loss": 0.8}))  # written before the rotation, not read yet
    os.rename(path, tmp_path / "m.jsonl.1")
    assert follower.poll() == 1  # renamed away: what was left in it is read
    append(path, jsonl({"epoch": 3, "loss": 0.6}))  # the new file
    assert follower.poll() == 1
    assert follower.events == ["rotated"]
    assert follower.columns.x().tolist() == [1, 2, 3]
    follower.close()


def test_csv_with_comments_and_bad_lines_reported_without_stopping(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("# made by hand\nepoch,train_loss,phase\n1,0.5,warmup\n2,oops,main\n3,0.3\n4,0.2,main\n")
    follower = FileFollower(path)
    assert follower.poll() == 3  # "oops" is no number: that line keeps its epoch, without a loss
    assert follower.columns.fields == ["train_loss"]
    assert follower.columns.x().tolist() == [1, 2, 4]
    assert follower.errors == 1 and follower.last_error.startswith("line 5:")
    follower.close()


def test_a_json_line_that_is_not_json_is_counted(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text('{"epoch": 1, "loss": 1}\n{"epoch": 2, "loss": \n{"epoch": 3, "loss": 0.5}\n')
    follower = FileFollower(path)
    assert follower.poll() == 2
    assert follower.errors == 1 and "line 2: not JSON" in follower.last_error
    follower.close()


@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
def test_reads_what_nntui_headless_metrics_writes(tmp_path, capsys, suffix):
    path = tmp_path / f"m.{suffix}"
    assert main(["--headless", "--epochs", "5", "--metrics", str(path)]) == 0
    follower = FileFollower(path)
    assert follower.poll() == 6  # epochs 0..5
    columns = follower.columns
    assert columns.x_name == "epoch" and columns.x().tolist() == [0, 1, 2, 3, 4, 5]
    assert {"train_loss", "test_loss", "train_acc", "lr"} <= set(columns.fields)
    assert follower.errors == 0
    follower.close()


def test_a_run_that_goes_back_drops_the_epochs_after():
    columns = Columns(capacity=16)
    for e in range(6):
        columns.add({"epoch": e, "loss": float(e)})
    columns.add({"epoch": 3, "loss": 30.0})  # rewound to epoch 3: the file tells it again from there
    assert columns.x().tolist() == [0, 1, 2, 3]
    assert columns.column("loss")[-1] == 30.0


def test_memory_stays_flat_and_the_newest_line_is_kept():
    columns = Columns(capacity=16)
    for e in range(1000):
        columns.add({"epoch": e, "loss": 1.0 / (e + 1)})
        assert len(columns) <= 16
        assert columns.x()[-1] == e
    assert columns.stride > 1
    assert np.all(np.diff(columns.x()) > 0)
    assert columns.x()[0] < 100  # the whole run is still there, thinned


def test_rate_and_time_of_the_last_line_follow_the_clock(tmp_path):
    now = [100.0]
    path = tmp_path / "m.jsonl"
    path.write_text("")
    follower = FileFollower(path, clock=lambda: now[0])
    for second in range(5):
        now[0] = 100.0 + second
        append(path, jsonl(*({"step": 10 * second + i, "loss": 1.0} for i in range(10))))
        follower.poll()
    assert follower.rate() == pytest.approx(10)  # what the first poll found was there already: no rate
    assert follower.last_line_at == 104.0
    now[0] = 120.0
    assert follower.rate() == 0  # none in the last 10 s
    follower.close()


# ------------------------------------------------------------------ the command
def test_a_folder_is_a_one_line_error(tmp_path, capsys):
    assert main(["watch", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a folder" in err


def test_no_terminal_says_so(tmp_path, capsys):
    assert main(["watch", str(tmp_path / "m.jsonl")]) == 2  # pytest's stdin is no TTY
    assert "no terminal" in capsys.readouterr().err


def test_no_follow_needs_the_file(tmp_path, capsys):
    assert main(["watch", "--no-follow", str(tmp_path / "m.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["watch", "--help"])
    assert exit_.value.code == 0
    assert "--no-follow" in capsys.readouterr().out


# ------------------------------------------------------------------ the app
def status_text(app: WatchApp) -> str:
    return "\n".join(line.plain for line in app.status_lines())


async def test_app_shows_fields_switches_them_and_the_status_line(tmp_path):
    now = [0.0]
    path = tmp_path / "m.jsonl"
    path.write_text(jsonl(*({"epoch": e, "train_loss": 1.0 / (e + 1), "test_loss": 2.0 / (e + 1), "lr": 0.1}
                            for e in range(4))))
    app = WatchApp([path], follow=True, clock=lambda: now[0])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.fields() == ["train_loss", "test_loss", "lr"]
        assert app.field == "train_loss"  # a loss first
        plot = app.query_one(WatchPlot)
        assert [c.label for c in plot.curves] == ["train_loss"]
        assert "epoch 3" in status_text(app) and "train_loss 0.25" in status_text(app)
        await pilot.press("f")
        assert app.field == "test_loss"
        assert [c.label for c in plot.curves] == ["test_loss"]
        assert plot.curves[0].y.tolist() == [2.0, 1.0, 2.0 / 3, 0.5]
        await pilot.press("F", "F")
        assert app.field == "lr"  # round the other way
        await pilot.press("l")
        assert plot.log_scale
        curves = plot.curves
        app.poll()
        assert plot.curves is curves  # no new line: no redraw
        append(path, jsonl({"epoch": 4, "train_loss": 0.1, "test_loss": 0.3, "lr": 0.05}))
        now[0] = 3.0
        app.poll()
        await pilot.pause()
        status = status_text(app)
        assert "epoch 4" in status and "lr 0.05" in status and "last line 0 s ago" in status
        now[0] = 7.0
        app.poll()
        assert "last line 4 s ago" in status_text(app)


async def test_app_overlays_files_and_waits_for_a_missing_one(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.csv"
    a.write_text(jsonl({"epoch": 1, "train_loss": 0.5}))
    app = WatchApp([a, b])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert f"waiting for {b}" in status_text(app)
        assert [c.label for c in app.query_one(WatchPlot).curves] == ["a.jsonl train_loss"]
        b.write_text("epoch,train_loss\n1,0.7\n2,0.6\n")
        app.poll()
        await pilot.pause()
        assert [c.label for c in app.query_one(WatchPlot).curves] == ["a.jsonl train_loss", "b.csv train_loss"]
        assert "b.csv  epoch 2  train_loss 0.6" in status_text(app)


async def test_no_follow_reads_once_and_does_not_poll(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text(jsonl({"epoch": 1, "loss": 0.5}))
    app = WatchApp([path], follow=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.followers[0].columns.x().tolist() == [1]
        assert not [t for t in app._timers if t.name == "watch-poll"]
        assert "lines/s" not in status_text(app)


async def test_a_narrow_status_line_keeps_the_chosen_value_and_says_bad_lines(tmp_path):
    now = [0.0]
    path = tmp_path / "a-rather-long-metrics-file-name.jsonl"
    path.write_text(jsonl({"epoch": 1200, "train_loss": 0.123456, "test_loss": float("nan"), "lr": 0.01}) + "oops\n")
    app = WatchApp([path], clock=lambda: now[0])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        wide = app.status_lines(200)[0].plain
        assert "1 bad line(s), line 2: not JSON" in wide and "lr 0.01" in wide and "test_loss nan" in wide
        narrow = app.status_lines(90)[0].plain
        assert len(narrow) <= 90
        assert "epoch 1,200  train_loss 0.1235" in narrow  # the chosen field's value whole; the rest gives way
        assert narrow.endswith("0/s, 0 s ago")


def test_a_long_file_is_read_over_several_polls(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text(jsonl(*({"epoch": e, "loss": 1.0} for e in range(100))))
    follower = FileFollower(path)
    assert 0 < follower.poll(max_bytes=500) < 100
    assert follower.behind
    while follower.behind:
        follower.poll(max_bytes=500)
    assert follower.columns.x().tolist() == list(range(100))
    assert follower.rate() == 0  # the lines were there already: no rate
    follower.close()
