"""Files that only their owner may read: the SQLite store, anchors, key files and exports.

Every file the library creates that holds (encrypted) case data, a key or an anchor is mode
0600 from its creation on, whatever the process's umask. SQLite gives its ``-wal`` and
``-shm`` files the mode of the database file, and :func:`restrict_sqlite_files` fixes any
that already exist.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import IO

PRIVATE_MODE = 0o600
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist; make it 0600 if it does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_MODE)
    except FileExistsError:
        restrict(path)
        return
    os.close(fd)
    restrict(path)  # the umask may have taken bits away; never added


def restrict(path: Path) -> None:
    """Make an existing file mode 0600 (a missing file is left missing)."""
    with contextlib.suppress(FileNotFoundError):
        os.chmod(path, PRIVATE_MODE)


def restrict_sqlite_files(db_path: Path) -> None:
    """Make a SQLite database file and its side files (WAL, shared memory) mode 0600."""
    restrict(db_path)
    for suffix in SQLITE_SIDE_FILES:
        restrict(Path(f"{db_path}{suffix}"))


def write_private_text(path: Path, text: str, *, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically (temporary file, then rename), mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, PRIVATE_MODE)
    try:
        with os.fdopen(fd, "w", encoding=encoding) as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, PRIVATE_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise



def open_private(path: Path, mode: str = "w", *, encoding: str = "utf-8") -> IO[str]:
    """Open ``path`` for writing text (``"w"`` or ``"a"``), created with mode 0600.

    For exports: ``with open_private(out) as handle: ...`` instead of ``open(out, "w")``.
    """
    if mode not in ("w", "a"):
        raise ValueError("mode must be 'w' or 'a'")
    flags = os.O_CREAT | os.O_WRONLY | (os.O_TRUNC if mode == "w" else os.O_APPEND)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, flags, PRIVATE_MODE)
    os.chmod(path, PRIVATE_MODE)
    return os.fdopen(fd, mode, encoding=encoding)
