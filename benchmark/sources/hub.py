"""Hub datasets as sources: Stanford Human Preferences (``stanfordnlp/SHP``) and
WritingPrompts with votes (``euclaise/WritingPrompts_preferences``).

Both load through ``datasets.load_dataset``: by hub id (``hf:stanfordnlp/SHP``), or from
local files in the hub's exact layout with the generic ``json``/``parquet`` builder. The
rows then go through the same converter either way, so a test on local files exercises
the code that runs on the hub.

Hub layouts (from the datasets' cards and file trees):
- SHP: ``<domain>/{train,validation,test}.json``, JSON Lines despite the name, one
  preference pair per line: ``post_id, domain ("askculinary_train"), upvote_ratio,
  history (title + body), c_root_id_A/B, created_at_utc_A/B, score_A/B, human_ref_A/B,
  labels, seconds_difference, score_ratio``.
- WritingPrompts_preferences: ``data/train-XXXXX-of-XXXXX.parquet``, one post per row:
  ``post_title, post_text, post_scores (int64), comment_texts, comment_scores (int64),
  comment_times (strings)``.

SHP's comments are rebuilt from its pairs (deduplicated by comment id) so the tasks'
rules run on them like on dumps. What these datasets do not carry stays unknown: the post
time (``created_utc=None``: delays are null), flags like edited/stickied (``None``), and
the author, set to ``UNKNOWN_AUTHOR`` because a null author means "deleted" in dumps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from rmbench.records import Comment, Post
from rmbench.errors import SourceError
from rmbench.sources.base import Source
from rmbench.sources.hub_rows import (SHP_COLUMNS, WP_COLUMNS, shp_features, shp_rows_to_comments,
                                      shp_rows_to_posts, wp_rows_to_comments, wp_rows_to_posts)
from rmbench.sources.lines import sha256_file

SHP_ID = "stanfordnlp/SHP"
WP_ID = "euclaise/WritingPrompts_preferences"
HUB_IDS = {SHP_ID.lower(): "shp", WP_ID.lower(): "wp"}


def _rows(ds, spec: str) -> Iterator[tuple[str, int, dict]]:
    """(where, row number, row) over every split of what ``load_dataset`` returned."""
    splits = ds.items() if hasattr(ds, "items") else [("train", ds)]
    for split, part in splits:
        where = f"{spec}[{split}]"
        try:
            for i, row in enumerate(part, 1):
                yield where, i, row
        except Exception as e:  # pyarrow/json errors: the file is unreadable as the layout says
            raise SourceError(where, f"cannot read rows: {type(e).__name__}: {e}") from None


class HubSource(Source):
    """Rows from ``load_dataset`` turned into posts and comments by a layout's converters."""

    selects_subreddits = True

    def __init__(self, layout: str, load: Callable[[], object], spec: str, data_files: list[Path] | None = None):
        super().__init__()
        self.layout, self.spec, self._load, self.data_files = layout, spec, load, data_files or []
        self._to_posts = shp_rows_to_posts if layout == "shp" else wp_rows_to_posts
        self._to_comments = shp_rows_to_comments if layout == "shp" else wp_rows_to_comments

    def _iter(self) -> Iterator[tuple[str, int, dict]]:
        return _rows(self._load(), self.spec)

    def iter_posts(self, subreddits: set[str] | None = None) -> Iterator[Post]:
        for p in self._to_posts(self._iter(), self.report):
            if subreddits is None or p.subreddit.lower() in subreddits:
                yield p

    def iter_comments(self, subreddits: set[str] | None = None) -> Iterator[Comment]:
        for c in self._to_comments(self._iter(), self.report):
            if subreddits is None or c.subreddit.lower() in subreddits:
                yield c

    def files(self) -> dict[str, dict]:
        out = {}
        for p in self.data_files:
            sha, size = sha256_file(p)
            out[str(p)] = {"sha256": sha, "bytes": size}
        return out

    def subreddits(self) -> set[str] | None:
        if self.layout == "wp":
            return {"WritingPrompts"}
        if self.data_files:  # local SHP layout: one folder per subreddit
            from rmbench.sources.hub_rows import subreddit_of_domain

            return {subreddit_of_domain(p.parent.name) for p in self.data_files}
        return None

    def progress_total(self, subreddits: set[str] | None = None) -> int:
        return 2 * sum(p.stat().st_size for p in self.data_files)


def open_hub(dataset_id: str, spec: str) -> HubSource:
    layout = HUB_IDS.get(dataset_id.lower())
    if layout is None:
        raise SourceError(spec, f"unknown hub dataset {dataset_id!r}; supported: {SHP_ID}, {WP_ID}")

    def load():
        import datasets

        try:
            # Not streaming: the download is cached (memory-mapped Arrow), and each source
            # pass (posts, then comments) reads the cache instead of downloading again.
            if layout == "shp":
                return datasets.load_dataset(SHP_ID, features=shp_features())
            return datasets.load_dataset(WP_ID)
        except Exception as e:  # offline, unknown revision, auth...: say which dataset
            raise SourceError(spec, f"could not load {dataset_id} from the Hugging Face hub "
                                    f"({type(e).__name__}: {e}). Offline? Download it and pass the folder.") from None

    return HubSource(layout, load, spec)


# -- local files in a hub layout ------------------------------------------------------------
def _candidate_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    found = []
    for pattern in ("*", "*/*", "*/*/*"):  # SHP: <domain>/train.json; WP: data/train-*.parquet
        found += [p for p in path.glob(pattern) if p.is_file() and p.suffix.lower() in (".json", ".jsonl", ".parquet")]
    return sorted(set(found))


def _columns(p: Path) -> set[str]:
    try:
        if p.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq

            return set(pq.read_schema(p).names)
        import json

        with open(p, "rb") as f:
            first = f.readline()
        row = json.loads(first)
        return set(row) if isinstance(row, dict) else set()
    except Exception:  # not this layout (or unreadable): the dump reader will say more
        return set()


def detect_local_layout(path: Path) -> tuple[str, list[Path]] | None:
    """("shp" | "wp", data files) when ``path`` holds files in a hub layout, else None."""
    files = _candidate_files(path)
    for layout, needed in (("shp", SHP_COLUMNS), ("wp", WP_COLUMNS)):
        hits = [p for p in files if needed <= _columns(p)]
        if hits:
            return layout, hits
    return None


def open_local_hub_layout(path: Path, detected: tuple[str, list[Path]], spec: str) -> HubSource:
    layout, files = detected
    kinds = {p.suffix.lower() == ".parquet" for p in files}
    if len(kinds) > 1:
        raise SourceError(spec, "mixed parquet and json files in one hub layout folder: keep one format")
    builder = "parquet" if kinds == {True} else "json"

    def load():
        import datasets

        data_files = {_split_of_file(p): [] for p in files}
        for p in files:
            data_files[_split_of_file(p)].append(str(p))
        kwargs = {"features": shp_features()} if layout == "shp" else {}
        try:
            return datasets.load_dataset(builder, data_files=data_files, streaming=True, **kwargs)
        except Exception as e:
            raise SourceError(spec, f"cannot load local {layout.upper()} files: {type(e).__name__}: {e}") from None

    return HubSource(layout, load, spec, data_files=files)


def _split_of_file(p: Path) -> str:
    name = p.name.lower()
    for split in ("validation", "test", "train"):
        if name.startswith(split):
            return split
    return "train"


__all__ = ["open_hub", "detect_local_layout", "open_local_hub_layout", "HubSource", "SHP_ID", "WP_ID"]
