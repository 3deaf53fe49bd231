"""Which submission and plot names are safe to become file names and URLs.

A name ends up as ``submissions/<name>.json``, a site page ``s/<name>.html`` and a hub
path, so it is held to a small ASCII set: no path separators, no ``..``, no look-alike
unicode, nothing a Windows checkout cannot hold, nothing that collides with a site page.
"""

from __future__ import annotations

import re

MAX_NAME_LEN = 64
# Lower case only: two names differing in case would collide on case-insensitive disks.
_NAME = re.compile(r"[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?", re.ASCII)
# Windows device names are unusable as file stems, with or without an extension.
_WINDOWS_DEVICES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
# Names the site or the hub repository uses for itself.
_SITE_NAMES = {"index", "how-to-submit", "assets", "s", "submissions", "tracks", "schema"}
RESERVED = frozenset(_WINDOWS_DEVICES | _SITE_NAMES)


def name_problems(name: object, what: str = "name") -> list[str]:
    """Every reason ``name`` is unsafe (empty list: safe)."""
    if not isinstance(name, str):
        return [f"{what} must be a string, got {type(name).__name__}"]
    problems = []
    if not name:
        return [f"{what} is empty"]
    if len(name) > MAX_NAME_LEN:
        problems.append(f"{what} is {len(name)} characters long (at most {MAX_NAME_LEN})")
    bad = sorted({c for c in name if not (c.isascii() and (c.isalnum() or c in "._-"))})
    if bad:
        shown = ", ".join(repr(c) for c in bad[:8])
        problems.append(f"{what} {name!r} has characters outside a-z 0-9 . _ - : {shown}")
    elif name != name.lower():
        problems.append(f"{what} {name!r} has upper-case letters (use {name.lower()!r})")
    elif not _NAME.fullmatch(name):
        problems.append(f"{what} {name!r} must start and end with a letter or digit")
    if ".." in name:
        problems.append(f"{what} {name!r} contains '..'")
    if name.split(".")[0].lower() in RESERVED:
        problems.append(f"{what} {name!r} is reserved")
    return problems
