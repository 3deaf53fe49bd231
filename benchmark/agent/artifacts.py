"""Atomic output directories and the small JSON card each agent-side model carries."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from rmbench.atomic import write_text_atomic

CARD = "rmbench_agent.json"


@contextlib.contextmanager
def atomic_dir(out: str | os.PathLike):
    """Yield a temp dir beside ``out``; rename it into place only if the block succeeds."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{out.name}.tmp-", dir=out.parent))
    try:
        yield tmp
        if out.exists():
            # Replacing a finished output: move the old one aside first so a crash keeps one.
            old = out.with_name(f"{out.name}.old-{os.getpid()}")
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_json_atomic(path: str | os.PathLike, obj) -> None:
    write_text_atomic(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")


def read_card(model_dir: str | os.PathLike) -> dict:
    p = Path(model_dir) / CARD
    return json.loads(p.read_text()) if p.is_file() else {}


def weights_sha256(model_dir: str | os.PathLike) -> str | None:
    """sha256 over the weight files (sorted by name); None for a hub id that is not a directory."""
    d = Path(model_dir)
    if not d.is_dir():
        return None
    files = sorted(p for p in d.iterdir() if p.suffix in (".safetensors", ".bin") and p.is_file())
    if not files:
        return None
    h = hashlib.sha256()
    for p in files:
        with p.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()
