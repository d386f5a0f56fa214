"""Save and load a model as ``.npz``: arrays W0, b0, W1, b1, … and the settings as JSON.

Files are written atomically (a temporary file in the same folder, then a rename), so an
interrupted save never leaves a half-written model where a good one was.  Loading never
unpickles (``allow_pickle=False``).
"""

from __future__ import annotations

import json
import errno
import os
import stat
import tempfile
import zipfile
from pathlib import Path
from typing import Sequence

import numpy as np

Array = np.ndarray


class ModelFileError(ValueError):
    """A model file is missing, corrupt or does not fit; str(e) is one line for the user."""


def atomic_write(path: str | os.PathLike, write) -> None:
    """Call write(file_object) on a temporary file beside ``path``, then rename it into place.

    A symbolic link is written through, to its target.  Anything there but a regular file (a
    folder, a device such as /dev/null, a FIFO) is refused.  The file gets the mode of the file
    it replaces, or a new file's mode (0666 less the umask).
    """
    path = Path(path)
    target = path.resolve() if path.is_symlink() else path
    try:
        existing = target.stat()
    except FileNotFoundError:
        existing = None
    except OSError as e:
        raise OSError(e.errno, e.strerror, str(path)) from None
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        raise OSError(errno.EEXIST, "exists and is not a regular file: nothing was written", str(path))
    if existing is not None:
        mode = stat.S_IMODE(existing.st_mode)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.", suffix=".tmp")
    except OSError as e:  # say what the user asked for, not the temporary name
        raise OSError(e.errno, e.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        if e.errno is not None:  # "No space left on device": say which of the user's files
            raise OSError(e.errno, e.strerror, str(path)) from None
        raise
    except BaseException:  # an interruption (a signal's exception) leaves no temporary file
        Path(tmp).unlink(missing_ok=True)
        raise


def check_writable(path: str | os.PathLike) -> None:
    """Raise OSError (naming ``path``) unless ``atomic_write`` could write there: the folder
    exists and takes a new file (one is made and removed), and nothing but a regular file is there."""
    path = Path(path)
    target = path.resolve() if path.is_symlink() else path
    if target.exists() and not target.is_file():
        raise OSError(errno.EEXIST, "exists and is not a regular file", str(path))
    if not target.parent.is_dir():
        raise OSError(errno.ENOENT, f"the folder {target.parent} does not exist", str(path))
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as e:
        raise OSError(e.errno, f"cannot write in {target.parent}: {e.strerror}", str(path)) from None
    os.close(fd)
    os.unlink(tmp)


def save_model(path: str | os.PathLike, W: Sequence[Array], b: Sequence[Array], settings: dict | None = None) -> None:
    """Write W0, b0, … (W[l] of shape (n_in, n_out)) and the settings to an .npz, atomically."""
    arrays = {}
    for l, (w, bias) in enumerate(zip(W, b)):
        arrays[f"W{l}"] = np.asarray(w)
        arrays[f"b{l}"] = np.asarray(bias)
    arrays["settings"] = np.array(json.dumps(settings or {}, sort_keys=True))
    atomic_write(path, lambda f: np.savez(f, **arrays))


def load_model(path: str | os.PathLike) -> tuple[list[Array], list[Array], dict]:
    """Read (W, b, settings) from an .npz written by ``save_model``."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such file")
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
