"""Writing files people and programs read while we write them: the one way openbook does it.
A reader sees the old file or the new one, never half of one, and the new one survives a
crash (the file's bytes and the folder's entry are synced before and after the rename)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Callable


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new file in `folder` durable (the folder's entry, not only the file)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_atomically(path: Path, save: Callable[[Path], Any], mode: int = 0o644) -> None:
    """Write `path` by `save(temporary)`, a path beside it, then rename it over `path`.
    `mode` is the new file's permissions (mkstemp's 0600 would hide shared reports)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        save(temporary)
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_text_atomically(path: Path, text: str) -> None:
    """A text file (UTF-8, line ends as given), written as save_atomically writes."""
    save_atomically(path, lambda temporary: temporary.write_text(text, encoding="utf-8", newline=""))
