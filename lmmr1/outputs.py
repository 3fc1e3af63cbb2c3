"""Writing what lmmr1 produces: checked up front, whole or not at all, readable by the user's group.

Three rules every command follows through this module:

* **Checked before work starts.** :func:`check_output_file` / :func:`check_output_dir` refuse a path that is
  a directory where a file is wanted (or the reverse), whose parent is a file, or that cannot be written,
  with :class:`OutputError` naming the path and the fix, before any scoring, generation or training.
* **Whole or nothing.** :func:`atomic_path` / :func:`write_text` write next to the target and rename over it
  only when the writing succeeded; a failure leaves neither a half file nor a stray temporary file.
* **Permissions as the user's umask says.** ``tempfile.mkstemp`` creates files 0600; renamed into place
  they would keep it, and a shared data folder would become unreadable to teammates. Files are given
  ``0666 & ~umask`` (what ``open(path, "w")`` gives) before the rename.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Union

from lmmr1.errors import UserError

PathLike = Union[str, "os.PathLike[str]"]


class OutputError(UserError):
    """An output path that cannot be written; the message says which and what to do."""


def default_file_mode() -> int:
    """The mode ``open(path, "w")`` would give a new file under the current umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _nearest_existing(path: Path) -> Path:
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return probe


def check_output_file(path: PathLike, what: str = "--output") -> Path:
    """A file path that can be created or replaced; its missing parent folders are fine (created on write)."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise OutputError(f"{what} {target} is a directory; give a file path (e.g. {target / 'out'}...)")
    base = _nearest_existing(target.parent)
    if not base.is_dir():
        raise OutputError(f"{what} {target}: {base} is a file, not a folder")
    if not os.access(base, os.W_OK | os.X_OK):
        raise OutputError(f"{what} {target}: cannot write in {base} (permission denied); choose another path")
    if target.exists() and not os.access(target, os.W_OK) and not os.access(target.parent, os.W_OK):
        raise OutputError(f"{what} {target} exists and cannot be replaced (permission denied)")
    return target


def check_output_dir(path: PathLike, what: str = "--output") -> Path:
    """A folder that exists and is writable, or can be created."""
    target = Path(path).expanduser()
    if target.exists() and not target.is_dir():
        raise OutputError(f"{what} {target} is a file; give a folder (a new or existing directory)")
    base = _nearest_existing(target)
    if not base.is_dir():
        raise OutputError(f"{what} {target}: {base} is a file, not a folder")
    if not os.access(base, os.W_OK | os.X_OK):
        raise OutputError(f"{what} {target}: cannot write in {base} (permission denied); choose another folder")
    return target


@contextlib.contextmanager
def atomic_path(output: PathLike) -> Iterator[str]:
    """Yield a temporary path next to ``output``; it replaces ``output`` only if the block succeeds."""
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield tmp
        if os.path.exists(tmp):
            os.chmod(tmp, default_file_mode())
            os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_text(output: PathLike, text: str) -> None:
    """``output`` holds ``text`` afterwards, or (on any failure) whatever it held before."""
    with atomic_path(output) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)


def write_bytes(output: PathLike, data: bytes) -> None:
    with atomic_path(output) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
