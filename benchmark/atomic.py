"""Atomic outputs: files and whole directories appear complete or not at all.

- ``write_text`` / ``write_json``: a temporary file beside the target, fsync, one rename.
  Readers (and an interrupted run) never see half a file; a failed write keeps the old one.
  ``write_json`` is the project's one JSON format (2-space indent, UTF-8, a final newline,
  NaN/inf written as null because JSON has no NaN).
- ``atomic_dir``: build a directory in ``<name>.tmp-XXXX`` beside it and rename it into
  place at the end; on any error the temporary directory is removed and the target is
  left as it was. Replacing an existing target needs ``overwrite=True`` *and*, when the
  caller says how to recognise its own outputs (``owned``), a target that passes it: a
  command never replaces a directory it did not create.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from rmbench.errors import OutputExistsError


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


@contextlib.contextmanager
def atomic_dir(out: str | Path, *, overwrite: bool = False,
               owned: Callable[[Path], bool] | None = None, what: str = "output") -> Iterator[Path]:
    """Yield a fresh temporary directory beside ``out``; rename it to ``out`` if the block succeeds.

    ``out`` may exist only with ``overwrite``, and then only when ``owned(out)`` says it is
    one of the caller's own outputs (checked before any work and again just before the
    swap, so a directory that changed meanwhile is not replaced).
    """
    out = Path(out)
    check_replaceable(out, overwrite=overwrite, owned=owned, what=what)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{out.name}.tmp-", dir=out.parent))
    try:
        shareable(tmp)
        yield tmp
        check_replaceable(out, overwrite=overwrite, owned=owned, what=what)
        if out.exists():
            # Move the old output aside first, so a crash between the renames keeps one of them.
            old = Path(tempfile.mkdtemp(prefix=f"{out.name}.old-", dir=out.parent))
            old.rmdir()
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def check_replaceable(out: Path, *, overwrite: bool, owned: Callable[[Path], bool] | None = None,
                      what: str = "output") -> None:
    """Raise ``OutputExistsError`` unless ``out`` is absent, or replaceable as ``atomic_dir`` defines it."""
    if not out.exists() and not out.is_symlink():
        return
    if not overwrite:
        raise OutputExistsError(f"{out} already exists; pass --overwrite to replace it")
    if not out.is_dir() or out.is_symlink():
        raise OutputExistsError(f"{out} exists and is not a directory; refusing to replace it")
    if owned is not None and not owned(out):
        raise OutputExistsError(f"{out} exists and is not a {what} this command wrote; refusing to replace "
                                "it (move it away or choose another path)")
