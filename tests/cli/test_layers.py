"""The layout's promises, checked: import contracts (pyproject.toml), the linter, and a headless run without Textual."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the tools of the [test] extra sit beside this Python


def run_tool(name: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / name), *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_the_import_contracts_hold():
    result = run_tool("lint-imports")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "3 kept, 0 broken" in result.stdout


def test_ruff_finds_nothing():
    result = run_tool("ruff", "check", ".")
    assert result.returncode == 0, result.stdout[-3000:]


def test_a_headless_run_never_loads_textual():
    code = (
        "import sys; from nntui.cli import main\n"
        "assert main(['--headless', '--epochs', '2']) == 0\n"
        "loaded = sorted(m for m in ('textual', 'rich', 'textual_plotext', 'nntui.tui') if m in sys.modules)\n"
        "print('loaded:', loaded)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "loaded: []"
