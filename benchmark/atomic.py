"""Atomic file writes: a temporary file beside the target, then one rename.

Readers (and an interrupted run) never see half a file, and a failed write leaves the old
file in place. Every module that writes results, cards or submissions goes through here.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old


def shareable(path: str | Path) -> None:
    """mkstemp/mkdtemp create 0600/0700 entries; give them the usual umask-based mode."""
    mode = 0o777 if Path(path).is_dir() else 0o666
    os.chmod(path, mode & ~_umask())


def write_text_atomic(path: str | Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())  # the rename must not land before the bytes do
        shareable(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
