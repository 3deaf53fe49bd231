"""Where the leaderboard lives on disk, and reading its files (writes go through ``rmbench.atomic``).

In a checkout the board is the repository's ``leaderboard/`` folder (this package's own
folder: the install is editable), so ``rmbench submit`` lands files where git sees them.
An installed wheel can read its shipped copy but must be told where to write.
"""

from __future__ import annotations

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


MAX_JSON_BYTES = 64 * 1024 * 1024  # tracks.json with its frozen pairs, a results.json: far below this
MAX_JSON_DEPTH = 64  # the deepest leaderboard document nests about 12 levels


def read_json(path: Path, max_bytes: int | None = None) -> object:
    """Parse a JSON file within a size and depth limit, finite numbers only (``rmbench.jsonlimits``);
    ``max_bytes`` refuses big files before reading them."""
    from rmbench.jsonlimits import JSONLimitError, loads_bounded

    if not path.is_file():
        raise LeaderboardError(f"{path}: no such file")
    limit = max_bytes if max_bytes is not None else MAX_JSON_BYTES
    size = path.stat().st_size
    if size > limit:
        raise LeaderboardError(f"{path}: {size} bytes, over the {limit}-byte limit")
    try:
        return loads_bounded(path.read_bytes(), max_bytes=limit, max_depth=MAX_JSON_DEPTH)
    except JSONLimitError as e:
        raise LeaderboardError(f"{path}: not usable JSON ({e})") from None
