"""Atomic files and the project's one JSON format (``rmbench.atomic`` re-exports them).

- ``write_text`` / ``write_json``: a temporary file beside the target, fsync, one rename.
  Readers (and an interrupted run) never see half a file; a failed write keeps the old one.
  ``write_json`` is the project's one JSON format (2-space indent, UTF-8, a final newline,
  NaN/inf written as null because JSON has no NaN).
"""

from __future__ import annotations

import json
import math
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


def write_text(path: str | Path, text: str) -> None:
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


def clean_json(obj):
    """NaN/inf -> None (JSON has no NaN), tuples -> lists, keys -> str, recursively."""
    if isinstance(obj, float):
        return None if math.isnan(obj) or math.isinf(obj) else obj
    if isinstance(obj, dict):
        return {str(k): clean_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean_json(v) for v in obj]
    return obj


def json_text(obj) -> str:
    """The project's JSON format, as text (what ``write_json`` writes)."""
    return json.dumps(clean_json(obj), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_json(path: str | Path, obj) -> None:
    write_text(path, json_text(obj))
