"""Helpers the command-line tests share: run nntui in this process and check how it ended."""

from __future__ import annotations

import numpy as np

from nntui.cli import main

# The weights and biases of a 2-4-1 network, to write model files from.
W2 = {"W0": np.zeros((2, 4)), "b0": np.zeros(4), "W1": np.zeros((4, 1)), "b1": np.zeros(1)}


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    """nntui --headless --epochs 1 ARGS…; argparse's own errors (SystemExit) count as exit codes."""
    try:
        code = main(["--headless", "--epochs", "1", *args])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_usage_error(code, err: str, *needles: str) -> None:
    assert code == 2, f"exit {code}, stderr: {err!r}"
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, f"expected one line on stderr, got: {err!r}"
    assert err.endswith("\n") and err.strip(), err
    for needle in needles:
        assert needle in err, f"{needle!r} not in {err!r}"


def assert_success(code, out: str, err: str) -> None:
    assert code == 0, f"exit {code}, stderr: {err!r}"
    assert err == ""
    assert out.splitlines()[-1].startswith("done: ")
