"""The snapshots hold whichever BLAS kernels the CPU gets: run them again with the other choice.

OpenBLAS picks its kernels by CPU, and OPENBLAS_CORETYPE overrides that; kernels may differ in
the last bits of a result.  The snapshot tests round what they draw away from those bits
(``test_snapshots.trained_app``); this runs them in a fresh interpreter with Haswell's kernels
forced if this one runs without, and without if it runs with.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_snapshots_pass_with_the_other_blas_kernels():
    env = dict(os.environ)
    if env.pop("OPENBLAS_CORETYPE", None) is None:
        env["OPENBLAS_CORETYPE"] = "Haswell"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/tui/test_snapshots.py",
         "tests/tui/test_snapshots_layer_views.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:]
