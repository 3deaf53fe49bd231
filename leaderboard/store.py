"""Where the leaderboard lives on disk, and reading its files (writes go through ``rmbench.atomic``).

In a checkout the board is the repository's ``leaderboard/`` folder (this package's own
folder: the install is editable), so ``rmbench submit`` lands files where git sees them.
An installed wheel can read its shipped copy but must be told where to write.
"""

from __future__ import annotations

import json
from pathlib import Path

from rmbench.errors import LeaderboardError

PACKAGE_DIR = Path(__file__).resolve().parent
# A submission bigger than this is refused before parsing: plots are the only large part
# and they are capped (see submission.PLOT_LIMITS); this leaves room and stops abuse.
MAX_SUBMISSION_BYTES = 3 * 1024 * 1024


def is_checkout(board: Path = PACKAGE_DIR) -> bool:
    """True when ``board`` is the ``leaderboard/`` folder of an rmbench source checkout."""
    pyproject = board.parent / "pyproject.toml"
    return board.name == "leaderboard" and pyproject.is_file() and 'name = "rmbench"' in pyproject.read_text()


def default_dir(for_writing: bool = False) -> Path:
    if for_writing and not is_checkout():
        raise LeaderboardError(f"{PACKAGE_DIR} is an installed package, not a checkout: "
                               "pass --leaderboard-dir pointing at your clone's leaderboard/ folder")
    return PACKAGE_DIR


def submissions_dir(board: Path) -> Path:
    return board / "submissions"


def submission_files(board: Path) -> list[Path]:
    folder = submissions_dir(board)
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def read_json(path: Path, max_bytes: int | None = None) -> object:
    """Parse a JSON file; ``max_bytes`` refuses big files before reading them."""
    if not path.is_file():
        raise LeaderboardError(f"{path}: no such file")
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise LeaderboardError(f"{path}: {size} bytes, over the {max_bytes}-byte limit")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise LeaderboardError(f"{path}: not valid UTF-8 JSON ({e})") from None
