"""Save and load a model as ``.npz``: arrays W0, b0, W1, b1, … and the settings as JSON.

Neurons switched off by hand are listed in the settings JSON as ``"off": [[layer, index], …]``
(layer 0 the inputs); ``load_switched_off`` reads them back, checked against the weights.

Files are written atomically (a temporary file in the same folder, then a rename), so an
interrupted save never leaves a half-written model where a good one was.  Loading never
unpickles (``allow_pickle=False``).
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Sequence

import numpy as np

from nntui.files import atomic_write, input_file_problem

Array = np.ndarray


class ModelFileError(ValueError):
    """A model file is missing, corrupt or does not fit; str(e) is one line for the user."""


def save_model(path: str | os.PathLike, W: Sequence[Array], b: Sequence[Array], settings: dict | None = None,
               off: Sequence[tuple[int, int]] = ()) -> None:
    """Write W0, b0, … (W[l] of shape (n_in, n_out)), the settings and the neurons switched off
    to an .npz, atomically."""
    arrays = {}
    for l, (w, bias) in enumerate(zip(W, b)):
        arrays[f"W{l}"] = np.asarray(w)
        arrays[f"b{l}"] = np.asarray(bias)
    settings = dict(settings or {})
    if off:
        settings["off"] = [[int(l), int(i)] for l, i in off]
    arrays["settings"] = np.array(json.dumps(settings, sort_keys=True))
    atomic_write(path, lambda f: np.savez(f, **arrays))


MAX_MODEL_FILE_BYTES = 1 << 30  # a model file larger than this is refused before it is read
MAX_MODEL_ARRAY_BYTES = 1 << 30  # … and so is one whose arrays would unpack to more than this


def _check_declared_sizes(path: Path) -> None:
    """Read the shapes the archive's .npy headers declare, before anything is unpacked: a small
    compressed file can declare arrays of many gigabytes."""
    total = 0
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if not info.filename.endswith(".npy"):
                    continue
                with archive.open(info) as member:
                    version = np.lib.format.read_magic(member)
                    read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                                   (2, 0): np.lib.format.read_array_header_2_0}.get(version)
                    if read_header is None:
                        raise ValueError(f"{info.filename}: .npy format {version} is not supported")
                    shape, _, dtype = read_header(member)
                total += int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, TypeError) as e:
        raise ModelFileError(f"{path}: not a valid model file ({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None
    if total > MAX_MODEL_ARRAY_BYTES:
        raise ModelFileError(f"{path}: its arrays would unpack to {total / 2**30:,.1f} GB, more than a model nntui can train")


def load_model(path: str | os.PathLike) -> tuple[list[Array], list[Array], dict]:
    """Read (W, b, settings) from an .npz written by ``save_model``."""
    path = Path(path)
    problem = input_file_problem(path, MAX_MODEL_FILE_BYTES)
    if problem:
        raise ModelFileError(f"{path}: {problem}")
    _check_declared_sizes(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            names = set(z.files)
            n_layers = sum(1 for name in names if name.startswith("W") and name[1:].isdigit())
            if n_layers == 0:
                raise ModelFileError(f"{path}: not an nntui model (no W0 array)")
            W, b = [], []
            for l in range(n_layers):
                for name in (f"W{l}", f"b{l}"):
                    if name not in names:
                        raise ModelFileError(f"{path}: array {name} is missing")
                w, bias = z[f"W{l}"], z[f"b{l}"]
                if not (isinstance(w, np.ndarray) and isinstance(bias, np.ndarray)):  # raw bytes, not .npy
                    raise ModelFileError(f"{path}: W{l}/b{l} are not NumPy arrays")
                if w.ndim != 2 or bias.ndim != 1 or bias.shape[0] != w.shape[1]:
                    raise ModelFileError(f"{path}: W{l} {w.shape} and b{l} {bias.shape} do not form a layer")
                if l > 0 and W[-1].shape[1] != w.shape[0]:
                    raise ModelFileError(f"{path}: W{l} has {w.shape[0]} inputs but layer {l} has {W[-1].shape[1]} neurons")
                if not (np.issubdtype(w.dtype, np.floating) and np.issubdtype(bias.dtype, np.floating)):
                    raise ModelFileError(f"{path}: W{l}/b{l} are not floating-point arrays")
                if not (np.isfinite(w).all() and np.isfinite(bias).all()):
                    raise ModelFileError(f"{path}: W{l}/b{l} hold NaN or infinite values: not a usable model")
                W.append(w)
                b.append(bias)
            settings = json.loads(str(z["settings"])) if "settings" in names else {}
    except ModelFileError:
        raise
    # MemoryError: a forged array shape; RecursionError: absurdly nested settings JSON.
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, MemoryError, RecursionError) as e:
        raise ModelFileError(f"{path}: not a valid model file ({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None
    if not isinstance(settings, dict):
        raise ModelFileError(f"{path}: settings are not a JSON object")
    return W, b, settings


def load_switched_off(path: str | os.PathLike, W: Sequence[Array], settings: dict) -> tuple[tuple[int, int], ...]:
    """The neurons a loaded model had switched off (its settings' ``off``), checked against its weights W."""
    off = settings.get("off", [])
    if not isinstance(off, list):
        raise ModelFileError(f"{path}: 'off' is not a list of [layer, neuron] pairs")
    neurons = set()
    for pair in off:
        if not (isinstance(pair, list) and len(pair) == 2 and all(type(v) is int for v in pair)):
            raise ModelFileError(f"{path}: 'off' holds {json.dumps(pair)[:40]}, not a [layer, neuron] pair")
        layer, index = pair
        if not (0 <= layer < len(W) and 0 <= index < W[layer].shape[0]):
            raise ModelFileError(f"{path}: 'off' names neuron {index} of layer {layer}, which has no weights out")
        neurons.add((layer, index))
    return tuple(sorted(neurons))
