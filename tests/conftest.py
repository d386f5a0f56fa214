"""The tests, one folder per layer of nntui; a file lives in the folder of the highest layer it drives.

- tests/tui/    runs an app or a TUI widget (Pilot, snapshots, a real terminal), or a lesson on screen
- tests/cli/    goes through the command line, settings, session, files or exported code (no screen)
- tests/live/   the live session: the runner, the training process, metrics, rewind history, edits
- tests/engine/ the engine and the datasets (the bottom layer: NumPy only)

Helpers shared by several files are plain functions in tests/<layer>/helpers.py, imported as
``from tests.tui.helpers import make_app, wait_for`` (tests is a package, so pytest puts the repository
root on sys.path: no path tricks). Fixtures all layers use live here.
"""

import pytest


@pytest.fixture
def in_tmp_cwd(tmp_path, monkeypatch):
    """Run the test in a fresh folder (some accepted values, like --save abc, write files)."""
    monkeypatch.chdir(tmp_path)
