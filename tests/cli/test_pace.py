"""The TUI's pace, --speed N|full: a flag, a TOML key and a preset value, checked like every
option; headless training ignores it (always full speed)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from nntui.cli import main
from nntui.session import resolve_settings
from nntui.settings import DEFAULT_SPEED, PRESETS, Settings, merge


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_default_pace_is_watchable_and_full_means_none():
    assert Settings().speed == DEFAULT_SPEED and 15 <= DEFAULT_SPEED <= 60
    assert merge({"speed": "5"}).speed == 5.0
    assert merge({"speed": "2.5"}).speed == 2.5
    assert merge({"speed": "full"}).speed is None
    assert merge({"speed": "FULL"}).speed is None
    assert "speed" not in Settings().model_settings()  # how fast to show it is no part of a model


def test_the_playground_preset_runs_at_playgrounds_pace_and_a_flag_overrides_it():
    assert merge({"preset": "playground"}).speed == PRESETS["playground"]["speed"] == 60
    assert merge({"preset": "playground", "speed": "full"}).speed is None


@pytest.mark.parametrize("text, expected", [('speed = 5', 5.0), ('speed = 0.5', 0.5), ('speed = "full"', None)])
def test_the_toml_key_speed_sets_the_pace(tmp_path, text, expected):
    cfg = tmp_path / "run.toml"
    cfg.write_text(text + "\n")
    settings, _ = resolve_settings({}, str(cfg))
    assert settings.speed == expected
    settings, _ = resolve_settings({"speed": "3"}, str(cfg))  # a flag overrides the file
    assert settings.speed == 3.0


@pytest.mark.parametrize("value", ["fast", "0", "-3", "inf", "nan", "", "1e9", "full speed"])
def test_a_bad_speed_is_one_line_and_exit_2(capsys, value):
    code, out, err = run(capsys, "--headless", "--epochs", "1", "--speed", value)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "--speed" in err and "Traceback" not in err


@pytest.mark.parametrize("text", ['speed = "fast"', "speed = 0", "speed = true"])
def test_a_bad_speed_in_a_config_file_is_one_line_and_exit_2(capsys, tmp_path, text):
    cfg = tmp_path / "run.toml"
    cfg.write_text(text + "\n")
    code, _, err = run(capsys, "--headless", "--epochs", "1", "--config", str(cfg))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "speed" in err and "run.toml" in err


def test_headless_ignores_the_pace(capsys):
    args = ("--headless", "--json", "--epochs", "30")
    _, paced, _ = run(capsys, *args, "--speed", "1")
    _, plain, _ = run(capsys, *args)
    paced_events, plain_events = ([json.loads(line) for line in out.splitlines()] for out in (paced, plain))
    assert [e for e in paced_events if e["event"] == "epoch"] == [e for e in plain_events if e["event"] == "epoch"]
    # Held to 1 epoch/s, 30 epochs would take 30 s; this net trains thousands a second.
    assert paced_events[-1]["event"] == "done" and paced_events[-1]["epochs_per_second"] > 1


def test_help_tells_of_the_pace():
    r = subprocess.run([sys.executable, "-m", "nntui", "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0
    text = " ".join(r.stdout.split())
    assert "--speed N|full" in text and f"(default: {DEFAULT_SPEED})" in text and "< / > pace" in text
