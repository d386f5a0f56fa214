"""Files the user gives and gets: checked before they are read, written so that nothing is lost.

Inputs (data, models, configs) must be regular files of a sane size: a FIFO would hang a read
forever, a link to /dev/zero would never end.  Outputs are written to a temporary file beside
the target and renamed into place, so that an interrupted write never damages a file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path


def input_file_problem(path: str | os.PathLike, max_bytes: int) -> str | None:
    """Why ``path`` cannot be read as an input file (missing, not a regular file, larger than
    ``max_bytes``), in a few words; None if it can."""
    try:
        info = os.stat(path)  # follows a symbolic link to what it names
    except FileNotFoundError:
        return "no such file"
    except OSError as e:
        return f"cannot read ({e.strerror or e})"
    if stat.S_ISDIR(info.st_mode):
        return "is a directory, not a file"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file (a device, FIFO or socket): give a file"
    if info.st_size > max_bytes:
        return f"is {info.st_size / 2**20:,.0f} MB, more than nntui reads ({max_bytes / 2**20:,.0f} MB)"
    return None


def atomic_write(path: str | os.PathLike, write) -> None:
    """Call write(file_object) on a temporary file beside ``path``, then rename it into place.

    A symbolic link is written through, to its target.  Anything there but a regular file (a
    folder, a device such as /dev/null, a FIFO) is refused.  The file gets the mode of the file
    it replaces, or a new file's mode (0666 less the umask).
    """
    path = Path(path)
    target, existing = _output_target(path)
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
    target, _ = _output_target(path)
    if not target.parent.is_dir():
        raise OSError(errno.ENOENT, f"the folder {target.parent} does not exist", str(path))
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as e:
        raise OSError(e.errno, f"cannot write in {target.parent}: {e.strerror}", str(path)) from None
    os.close(fd)
    os.unlink(tmp)


def _output_target(path: Path) -> tuple[Path, os.stat_result | None]:
    """Where writing ``path`` lands (a symbolic link's target) and what is there now (None: nothing);
    OSError naming ``path`` if that is not a regular file."""
    target = path.resolve() if path.is_symlink() else path
    try:
        existing = target.stat()
    except FileNotFoundError:
        return target, None
    except OSError as e:
        raise OSError(e.errno, e.strerror, str(path)) from None
    if not stat.S_ISREG(existing.st_mode):
        raise OSError(errno.EEXIST, "exists and is not a regular file: nothing was written", str(path))
    return target, existing


def discard_output(fd: int) -> None:
    """Point a file descriptor at /dev/null: what is still written to it (Python's own flush at
    exit, a closed pipe's or hung-up terminal's last lines) goes nowhere instead of failing."""
    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), fd)
