"""The one cache root: where generated and prepared data is kept between runs.

Rule: ``$RMBENCH_CACHE`` when set, else ``$XDG_CACHE_HOME/rmbench``, else
``~/.cache/rmbench``. Under it, ``demo-*`` holds the generated demo corpus (dump files)
and ``prepared-*`` the prepared pairs of ``--data demo`` and of dump folders. Every entry
is rebuilt from its inputs when missing or stale, so deleting the folder only costs time.
A run's ``--cache-dir`` (``data.cache_dir``) moves the prepared data elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV = "RMBENCH_CACHE"


def cache_root() -> Path:
    explicit = os.environ.get(ENV)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "rmbench"
