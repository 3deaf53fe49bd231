"""Hub datasets as sources: Stanford Human Preferences (``stanfordnlp/SHP``) and
WritingPrompts with votes (``euclaise/WritingPrompts_preferences``).

By hub id (``hf:stanfordnlp/SHP``) the repo's data files are downloaded with
``huggingface_hub.snapshot_download`` and then read exactly like local files in the hub's
layout, so a test on local files exercises the code that runs on the hub. Each file is read
by pyarrow (with SHP's declared column types, those of ``datasets``' card) when it accepts
every row, and line by line otherwise, so one bad row costs that row, counted with the file
and row number, never the file or the run.

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

import io
import os
import re
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
# The files of each hub repo that hold rows (the rest is the card, scripts, .gitattributes).
HUB_PATTERNS = {"shp": ["*/*.json"], "wp": ["data/*.parquet"]}
BATCH_ROWS = 10_000  # rows per Arrow batch turned into Python dicts: bounded memory per file
SNIFF_ROWS = 100  # JSON rows whose keys decide a file's layout (not the first row alone)


def _arrow_rows(layout: str, data: bytes) -> Iterator[dict] | None:
    """The fast path: pyarrow reads the whole JSON Lines file; None when it refuses a row."""
    import pyarrow as pa
    import pyarrow.json as paj

    schema = shp_features().arrow_schema if layout == "shp" else None
    opts = paj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore") if schema else None
    try:
        table = paj.read_json(io.BytesIO(data), parse_options=opts)
        # pyarrow parses invalid UTF-8 inside a string and fails only when the value is
        # decoded: check every string column now, so such a file takes the line-by-line path
        table.validate(full=True)
    except (pa.ArrowException, ValueError):
        return None
    return (row for b in table.to_batches(BATCH_ROWS) for row in b.to_pylist())


def file_rows(path: Path, layout: str, where: str, report, count: bool) -> Iterator[tuple[str, int, dict]]:
    """(where, row number, row) of one hub file. JSON Lines go through pyarrow when every line
    holds a row it accepts, else line by line (``json.loads``), counting each bad line with its
    number (``malformed_json``, ``invalid_utf8``, ``blank_line``, ``not_an_object``) when
    ``count``; a parquet file that cannot be read raises ``SourceError`` naming it."""
    from rmbench.sources.dumps import SKIPPED, parse_line

    if path.suffix.lower() == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        i = 0
        try:
            for batch in pq.ParquetFile(path).iter_batches(BATCH_ROWS):
                for row in batch.to_pylist():
                    i += 1
                    yield where, i, row
        except (pa.ArrowException, OSError) as e:
            raise SourceError(where, f"unreadable parquet file after row {i}: {type(e).__name__}: {e}") from None
        return
    try:
        data = path.read_bytes()
    except OSError as e:
        raise SourceError(where, f"cannot read: {e.strerror or e}") from None
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    fast = None if any(not ln.strip() for ln in lines) else _arrow_rows(layout, data)
    if fast is not None:  # no blank lines, so row i is line i
        yield from ((where, i, row) for i, row in enumerate(fast, 1))
        return
    for i, raw in enumerate(lines, 1):
        row, why = parse_line(raw)
        if why is not None and count:
            report.add(where, why, i)
        if row is SKIPPED:
            continue
        if not isinstance(row, dict):
            if count:
                report.add(where, "not_an_object", i)
            continue
        yield where, i, row


class HubSource(Source):
    """Rows of a layout's files (local, or downloaded from the hub) turned into posts and comments."""

    selects_subreddits = True

    def __init__(self, layout: str, files: Callable[[], list[tuple[Path, str]]], spec: str,
                 data_files: list[Path] | None = None):
        super().__init__()
        self.layout, self.spec, self._files, self.data_files = layout, spec, files, data_files or []
        self._to_posts = shp_rows_to_posts if layout == "shp" else wp_rows_to_posts
        self._to_comments = shp_rows_to_comments if layout == "shp" else wp_rows_to_comments
        self._resolved: list[tuple[Path, str]] | None = None

    def _paths(self) -> list[tuple[Path, str]]:
        if self._resolved is None:
            self._resolved = self._files()
        return self._resolved

    def _iter(self, count: bool, subreddits: set[str] | None = None) -> Iterator[tuple[str, int, dict]]:
        for path, where in self._paths():
            if subreddits is not None and not self._may_hold(path, subreddits):
                continue  # another subreddit's folder: skipped unread (a parallel worker reads it once)
            yield from file_rows(path, self.layout, where, self.report, count)

    def _may_hold(self, path: Path, subreddits: set[str]) -> bool:
        """SHP keeps one folder per subreddit (<domain>/train.json); a folder named after a task's
        subreddit that is not wanted holds nothing wanted. Anything else may hold anything."""
        if self.layout != "shp":
            return True
        if self.data_files:  # local files: the domains their rows name
            return any(sub.lower() in subreddits for sub in shp_file_subreddits(path))
        from rmbench.registry import all_tasks
        from rmbench.sources.hub_rows import subreddit_of_domain

        folder = subreddit_of_domain(path.parent.name).lower()
        known = {s.lower() for t in all_tasks().values() for s in getattr(t, "subreddits", ())}
        return folder not in known or folder in subreddits

    def _select(self, records, subreddits: set[str] | None, kind: str):
        for r in records:
            low = r.subreddit.lower()
            if subreddits is None or low in subreddits:
                yield r
            elif low not in self.others and self.count_unselected:
                self.unselected[kind] += 1

    def iter_posts(self, subreddits: set[str] | None = None) -> Iterator[Post]:
        yield from self._select(self._to_posts(self._iter(True, subreddits), self.report), subreddits, "posts")

    def iter_comments(self, subreddits: set[str] | None = None) -> Iterator[Comment]:
        yield from self._select(self._to_comments(self._iter(False, subreddits), self.report), subreddits, "comments")

    def source_splits(self, subreddits: set[str] | None = None) -> dict[str, str]:
        if self.layout != "shp":  # WritingPrompts_preferences publishes a train split only
            return {}
        from rmbench.sources.hub_splits import shp_post_splits

        placed, self.split_conflicts = shp_post_splits([p for p, _ in self._paths()], subreddits)
        return placed

    def files(self) -> dict[str, dict]:
        out = {}
        for p, where in self._paths():
            sha, size = sha256_file(p)
            out[where] = {"sha256": sha, "bytes": size}
        return out

    def paths(self) -> list[str]:
        return [where for _, where in self._paths()] if self.data_files else []

    def subreddits(self) -> set[str] | None:
        if self.layout == "wp":
            return {"WritingPrompts"}
        if self.data_files:  # local SHP layout: the rows' domains, wherever the files sit
            return {sub for p in self.data_files for sub in shp_file_subreddits(p)}
        return None

    def progress_total(self, subreddits: set[str] | None = None) -> int:
        return 2 * sum(p.stat().st_size for p in self.data_files)


_DOMAIN = re.compile(rb'"domain"\s*:\s*"([^"\\]*)"')
# path -> (size, mtime_ns, inode, its subreddits): a flat file's scan reads it whole, and one
# command opens its source more than once (resolve_data's reuse check, then prepare); a changed
# file (size, mtime, or replaced by a rename) is scanned again; each path keeps its latest scan.
_SCANNED: dict[str, tuple[int, int, int, frozenset[str]]] = {}


def shp_file_subreddits(path: Path) -> set[str]:
    """The subreddits a local SHP file's rows name in ``domain`` ("askacademia_train"). In SHP's
    own layout, ``<domain>/train.json``, a file holds its folder's one domain, so the first
    ``SNIFF_ROWS`` rows agreeing with the folder settle it; any other file (a flat copy, a
    file given alone) has its whole ``domain`` column read (parquet: that column only), once
    per process while it stays the same file of the same size and mtime."""
    try:
        st = path.stat()
        key = os.path.abspath(path)  # not resolved: the sniff reads the folder the file is named in
        seen = _SCANNED.get(key)
        if seen is not None and seen[:3] == (st.st_size, st.st_mtime_ns, st.st_ino):
            return set(seen[3])
        subs = _scan_subreddits(path)
    except Exception:  # unreadable, or no domain column: reading the rows reports what is wrong
        return set()  # and nothing is kept: it may be readable next time
    _SCANNED[key] = (st.st_size, st.st_mtime_ns, st.st_ino, frozenset(subs))
    return subs


def _scan_subreddits(path: Path) -> set[str]:
    """``shp_file_subreddits`` without the cache: reads the file (raises what reading raises)."""
    from rmbench.sources.hub_rows import subreddit_of_domain

    def subs(domains) -> set[str]:
        return {subreddit_of_domain(d) for d in domains if isinstance(d, str) and d}

    def domains(lines) -> set[str]:
        return {m.group(1).decode("utf-8", "replace") for line in lines if (m := _DOMAIN.search(line))}

    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        return subs(pq.read_table(path, columns=["domain"]).column("domain").unique().to_pylist())
    with open(path, "rb") as f:
        head = subs(domains(line for _, line in zip(range(SNIFF_ROWS), f)))
        if len(head) == 1 and next(iter(head)).lower() == subreddit_of_domain(path.parent.name).lower():
            return head
        f.seek(0)
        return subs(domains(f))


def open_hub(dataset_id: str, spec: str) -> HubSource:
    """``hf:<id>``: the repo's data files, downloaded once into the hub cache by
    ``huggingface_hub.snapshot_download``, then read exactly like a local folder."""
    layout = HUB_IDS.get(dataset_id.lower())
    if layout is None:
        raise SourceError(spec, f"unknown hub dataset {dataset_id!r}; supported: {SHP_ID}, {WP_ID}")
    repo = SHP_ID if layout == "shp" else WP_ID

    def files() -> list[tuple[Path, str]]:
        from huggingface_hub import snapshot_download

        try:
            root = Path(snapshot_download(repo, repo_type="dataset", allow_patterns=HUB_PATTERNS[layout]))
        except Exception as e:  # offline, unknown revision, auth...: say which dataset
            raise SourceError(spec, f"could not load {dataset_id} from the Hugging Face hub "
                                    f"({type(e).__name__}: {e}). Offline? Download it and pass the folder.") from None
        found = sorted(p for pat in HUB_PATTERNS[layout] for p in root.glob(pat) if p.is_file())
        if not found:
            raise SourceError(spec, f"the download of {repo} holds no data files ({', '.join(HUB_PATTERNS[layout])})")
        return [(p, f"{spec}/{p.relative_to(root).as_posix()}") for p in found]

    return HubSource(layout, files, spec)


# -- local files in a hub layout ------------------------------------------------------------
def _candidate_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    found = []
    for pattern in ("*", "*/*", "*/*/*"):  # SHP: <domain>/train.json; WP: data/train-*.parquet
        found += [p for p in path.glob(pattern) if p.is_file() and p.suffix.lower() in (".json", ".jsonl", ".parquet")]
    return sorted(set(found))


def _columns(p: Path) -> set[str]:
    """Column names of a parquet file, or the keys of the first ``SNIFF_ROWS`` JSON rows."""
    import json

    try:
        if p.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq

            return set(pq.read_schema(p).names)
        keys: set[str] = set()
        with open(p, "rb") as f:
            for _, line in zip(range(SNIFF_ROWS), f):
                try:
                    row = json.loads(line)
                except ValueError:
                    continue
                if isinstance(row, dict):
                    keys |= set(row)
        return keys
    except Exception:  # not this layout (or unreadable): the dump reader will say more
        return set()


def detect_local_layout(path: Path) -> tuple[str, list[Path], list[Path]] | None:
    """("shp" | "wp", data files, left out) when ``path`` holds files in a hub layout, else None.

    The layout is the first one whose columns some file has in full; a file sharing at least
    half of them is one of its data files (its missing columns are counted row by row), and
    the other candidate files are returned so the source can note them."""
    files = _candidate_files(path)
    cols = {p: _columns(p) for p in files}
    for layout, needed in (("shp", SHP_COLUMNS), ("wp", WP_COLUMNS)):
        if any(needed <= c for c in cols.values()):
            hits = [p for p in files if len(needed & cols[p]) * 2 >= len(needed)]
            return layout, hits, [p for p in files if p not in hits]
    return None


def open_local_hub_layout(path: Path, detected: tuple[str, list[Path], list[Path]], spec: str) -> HubSource:
    layout, files, left_out = detected
    kinds = {p.suffix.lower() == ".parquet" for p in files}
    if len(kinds) > 1:
        raise SourceError(spec, "mixed parquet and json files in one hub layout folder: keep one format")
    src = HubSource(layout, lambda: [(p, str(p)) for p in files], spec, data_files=files)
    for p in left_out:
        src.report.add(str(p), "not_a_layout_file")  # holds none of the layout's columns: not read
    return src


__all__ = ["open_hub", "detect_local_layout", "open_local_hub_layout", "HubSource", "SHP_ID", "WP_ID", "file_rows"]
