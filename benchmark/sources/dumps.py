"""Pushshift / Arctic Shift dumps: a directory of ``<Sub>_submissions.zst`` +
``<Sub>_comments.zst`` (also ``.gz``, ``.bz2``, ``.xz``, ``.ndjson``/``.jsonl``/plain), or one such file.

Streams line by line; nothing holds a file in memory. Lines are decoded by a typed
decoder that builds only the fields a record needs (``rmbench.sources.typed``), or by the
json module where that decoder could answer differently. Bad lines are counted per file
with their line numbers (1-based) in ``self.report``:
- ``malformed_json``: not JSON, or nested deeper than ``rmbench.sources.depth.MAX_DEPTH``
  whatever the caller's stack depth (skipped);
- ``invalid_utf8``: bytes that are not UTF-8; repaired with U+FFFD and the record kept,
  since one mangled emoji should not cost a whole comment;
- ``not_an_object``: valid JSON that is not an object (skipped);
- ``blank_line``: an empty line (skipped; it held no record);
- ``unknown_record``: in a file whose name does not say posts or comments, an object that
  is neither (skipped);
- plus the field-level reasons of ``rmbench.sources.normalize``;
- per entry of a folder named like a dump that cannot be read: ``not_a_regular_file``,
  ``dangling_symlink``, ``unsupported_compression``.
Records of subreddits not asked for, in files whose name does not say the subreddit, are
counted in ``self.unselected``. A missing, empty-compressed, truncated or corrupt file
raises ``SourceError`` naming it.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rmbench.records import BadInputReport, Comment, Post
from rmbench.errors import SourceError
from rmbench.sources.base import Source
from rmbench.sources.lines import TRUNCATED_ZSTD, FileStats, codec_of, file_kind, iter_lines, sha256_file
from rmbench.sources import typed
from rmbench.sources.depth import MAX_DEPTH, too_deep
from rmbench.sources.zstdframes import cut_at, foreign_start
from rmbench.sources.normalize import (comment_from_checked, comment_from_fields, comment_from_raw, looks_like_comment,
                                      post_from_checked, post_from_raw)

_DATA_NAME = re.compile(r"\.(zst|zstd|gz|bz2|xz|ndjson|jsonl|json)$", re.I)  # a README.txt beside dumps is not data
# <Sub>_submissions / <Sub>_comments (the torrents); <Sub>_posts is read as submissions.
_SUBREDDIT_FILE = re.compile(r"^(?P<sub>[A-Za-z0-9_]+?)_(?P<kind>submissions|posts|comments)$", re.I)
_MONTHLY_FILE = re.compile(r"^R(?P<kind>[SC])_\d{4}-\d{2}", re.I)  # RS_2024-01.zst, RC_2024-01.zst
# Named like a dump but in a container rmbench cannot stream: noted, never skipped silently.
_OTHER_ARCHIVE = re.compile(r"\.(7z|zip|rar|tar|tgz|lz4|lzma|br)$", re.I)


@dataclass(frozen=True)
class DumpFile:
    path: Path
    kind: str  # "submissions", "comments", or "mixed" (the name does not say; decided per line)
    subreddit: str | None  # from the file name; None when the name does not say


def _stem(name: str) -> str:
    while _DATA_NAME.search(name) or _OTHER_ARCHIVE.search(name):
        name = _OTHER_ARCHIVE.sub("", _DATA_NAME.sub("", name))
    return name


def data_suffix(name: str) -> str:
    """What follows the stem of a dump file's name (``.zst``, ``.ndjson.gz``...)."""
    return name[len(_stem(name)):]


def classify(path: Path) -> DumpFile:
    stem = _stem(path.name)
    m = _SUBREDDIT_FILE.match(stem)
    if m:
        return DumpFile(path, "comments" if m["kind"].lower() == "comments" else "submissions", m["sub"])
    m = _MONTHLY_FILE.match(stem)
    if m:
        return DumpFile(path, "submissions" if m["kind"].upper() == "S" else "comments", None)
    low = stem.lower()
    if "comment" in low:
        return DumpFile(path, "comments", None)
    if "submission" in low or "post" in low:
        return DumpFile(path, "submissions", None)
    return DumpFile(path, "mixed", None)


def _looks_like_dump(p: Path) -> bool:
    return bool(_DATA_NAME.search(p.name) or _SUBREDDIT_FILE.match(_stem(p.name)) or _MONTHLY_FILE.match(p.name))


def list_dump_files(root: Path, report: BadInputReport | None = None) -> list[DumpFile]:
    """A directory's data files (not recursive, sorted), or the one file given.

    Entries named like dumps that cannot be read are noted in ``report`` under their path:
    ``not_a_regular_file`` (a directory, FIFO or device), ``dangling_symlink``,
    ``unsupported_compression`` (a .7z, .zip, ... archive).
    """
    if not root.exists():
        raise SourceError(str(root), "dangling symlink" if root.is_symlink() else "no such file or directory")
    if not root.is_dir():
        if not root.is_file():
            raise SourceError(str(root), f"{file_kind(root)}, not a dump file or a folder of them")
        return [classify(root)]
    files = []
    for p in sorted(root.iterdir()):
        if p.name.startswith(".") or not _looks_like_dump(p):
            continue
        why = ("dangling_symlink" if not p.exists() else "not_a_regular_file" if not p.is_file()
               else "unsupported_compression" if not _DATA_NAME.search(p.name) else None)
        if why is None:
            files.append(classify(p))
        elif report is not None:
            report.add(str(p), why)
    if not files:
        raise SourceError(str(root), "no dump files here (expected <Sub>_submissions.zst and "
                                     "<Sub>_comments.zst, or .ndjson/.jsonl/.gz/.bz2/.xz files)")
    return files


class DumpSource(Source):
    """Posts and comments from dump files. ``synthetic`` labels every record (the demo).

    Routing for parallel prepare (``rmbench.prepare.shards``): records of the subreddits
    in ``others`` belong to another worker; they are written to ``spill_dir`` when set
    (as raw lines, per target subreddit and file) and otherwise skipped. Lines in
    ``inject_dir`` (another worker's spill for this one) are read in the place of the file
    they came from, so a worker sees its records in exactly the serial order.
    """

    selects_subreddits = True

    def __init__(self, path: str | Path, spec: str | None = None, synthetic: bool = False,
                 files: list[DumpFile] | None = None):
        super().__init__()
        self.root = Path(path)
        self.spec = spec if spec is not None else str(path)
        self.synthetic = synthetic
        self.dump_files = files if files is not None else list_dump_files(self.root, self.report)
        self._hashes: dict[str, tuple[str, int]] = {}
        self._stats: list[FileStats] = []
        self.spill_dir: Path | None = None
        self.inject_dir: Path | None = None
        self.hash_unread = True  # files(): hash a file no pass read (prepare: record its size only)

    # -- what is here ------------------------------------------------------------------
    def subreddits(self) -> set[str] | None:
        subs = {f.subreddit for f in self.dump_files}
        return None if None in subs else subs  # type: ignore[return-value]

    def files(self) -> dict[str, dict]:
        """Every file's sha256 and size: from the pass that read it, else hashed now, unless
        ``hash_unread`` is off (prepare turns it off): then a file never read in full is
        recorded by its size alone, ``{"sha256": None, "bytes": n, "read": False}``, rather
        than read whole for its hash (a torrent folder holds thousands of subreddits a build
        never opens)."""
        out = {}
        for f in self.dump_files:
            key = str(f.path)
            if key not in self._hashes:  # not yet read in full
                try:
                    if not self.hash_unread:
                        out[key] = {"sha256": None, "bytes": f.path.stat().st_size, "read": False}
                        continue
                    self._hashes[key] = sha256_file(f.path)
                except OSError as e:
                    raise SourceError(key, f"cannot read: {e}") from None
            sha, size = self._hashes[key]
            out[key] = {"sha256": sha, "bytes": size}
        return out

    def paths(self) -> list[Path]:
        return [f.path for f in self.dump_files]

    def check_whole(self, subreddits: set[str] | None = None) -> None:
        """Every .zst file a build of ``subreddits`` reads, checked for a cut end by its framing
        alone (``rmbench.sources.zstdframes``): an interrupted download fails in seconds, not after
        hours of reading up to the cut. So does a file that is not zstd at all (a renamed .ndjson)."""
        for f in self._selected(("submissions", "comments", "mixed"), subreddits):
            if codec_of(f.path) != "zstd":
                continue
            try:
                foreign, cut = foreign_start(f.path), cut_at(f.path)
            except OSError:
                continue  # unreadable: the reader says how, naming the file, as before
            if foreign is not None or cut is not None:
                why = f"{foreign}." if foreign else f"{TRUNCATED_ZSTD} It stops at byte {cut:,}, inside a frame."
                raise SourceError(str(f.path), f"{why} (Found before reading anything.)")

    # -- one file at a time (prepare --engine ray reads each file in its own task) -------------
    def only_file(self, index: int) -> None:
        """From now on read only ``dump_files[index]``, with this file's hashes and byte counts alone."""
        self.dump_files = [self.dump_files[index]]
        self._hashes, self._stats = {}, []

    def read_hashes(self) -> dict[str, tuple[str, int]]:
        """(sha256, bytes) of every file read in full so far, by path."""
        return dict(self._hashes)

    def add_hashes(self, hashes: dict[str, tuple[str, int]]) -> None:
        """Hashes another reader computed while reading in full (``files()`` then reads nothing again)."""
        self._hashes.update(hashes)

    def _selected(self, kinds: tuple[str, ...], subreddits: set[str] | None) -> list[DumpFile]:
        return [f for f in self.dump_files if f.kind in kinds
                and (subreddits is None or f.subreddit is None or f.subreddit.lower() in subreddits)]

    def progress_total(self, subreddits: set[str] | None = None) -> int:
        """Compressed bytes that ``iter_posts`` + ``iter_comments`` will read (for a progress bar)."""
        files = self._selected(("submissions", "mixed"), subreddits) + self._selected(("comments", "mixed"), subreddits)
        return sum(f.path.stat().st_size for f in files)

    @property
    def bytes_read(self) -> int:
        """Compressed bytes read so far, over every pass (pair with ``progress_total``)."""
        return sum(s.read for s in self._stats)

    # -- the streams -------------------------------------------------------------------
    def iter_posts(self, subreddits: set[str] | None = None) -> Iterator[Post]:
        """Every post; ``subreddits`` (lower-case names) skips other subreddits' files and
        records (those read are counted in ``self.unselected``)."""
        return self._stream(("submissions", "mixed"), True, subreddits)

    def iter_comments(self, subreddits: set[str] | None = None) -> Iterator[Comment]:
        return self._stream(("comments", "mixed"), False, subreddits)

    def _stream(self, kinds: tuple[str, ...], want_posts: bool, subreddits: set[str] | None):
        own = set(map(id, self._selected(kinds, subreddits)))
        for idx, f in enumerate(self.dump_files):
            if f.kind not in kinds:
                continue
            if id(f) in own:
                stats = FileStats()
                self._stats.append(stats)
                yield from self._read(f, idx, want_posts, subreddits, enumerate(iter_lines(f.path, stats), 1))
                self._hashes[str(f.path)] = (stats.sha256, stats.bytes)
            elif self.inject_dir is not None and (self.inject_dir / f"{idx}.bin").is_file():
                yield from self._read(f, idx, want_posts, subreddits, read_spill(self.inject_dir / f"{idx}.bin"))

    def _read(self, f: DumpFile, idx: int, want_posts: bool, subreddits: set[str] | None, lines):
        path = str(f.path)
        report, synthetic, hint = self.report, self.synthetic, f.subreddit
        convert = post_from_raw if want_posts else comment_from_raw
        mixed = f.kind == "mixed"
        # A mixed file is read twice (posts, then comments): count its bad lines once.
        count_lines = not mixed or want_posts
        others = self.others
        spills: dict[str, object] = {}  # target subreddit -> open spill file (routing only)
        # Filter record by record where the file name did not already decide, or for routing.
        check_sub = subreddits is not None and (hint is None or bool(others))
        low_of: dict[str, str] = {}
        unselected = 0
        scan = _SCAN
        # The typed decoder (rmbench.sources.typed) where it answers exactly as json.loads
        # would; it gives None for a line the json path below must decide. Mixed files tell
        # posts from comments by which keys are present, which its record cannot show.
        decode = typed.line_decoder(want_posts) if not mixed and typed.enabled() else None
        from_fields = post_from_raw if want_posts else comment_from_fields
        checked, from_checked = ((typed.CheckedPost, post_from_checked) if want_posts
                                 else (typed.CheckedComment, comment_from_checked))
        for line, raw in lines:
            if decode is not None and (d := decode(raw)) is not None:
                rec = (from_checked if type(d) is checked else from_fields)(d, hint, path, line, report, synthetic)
            else:
                try:  # json.loads(raw), minus its per-call overhead (see _SCAN)
                    # Not the usual shape, or maybe too deep (depth.may_nest_deep, inlined): parse_line decides.
                    if raw[:2] != b'{"' or len(raw) > 2 * MAX_DEPTH and raw.count(b"[") + raw.count(b"{") > MAX_DEPTH:
                        raise ValueError
                    s = raw.decode("utf-8", "surrogatepass")  # what json.loads does with these bytes
                    d, end = scan(s, 0)
                    if end != len(s) and s[end:].strip(" \t\n\r"):
                        raise ValueError  # "Extra data" in json.loads
                except (ValueError, StopIteration, RecursionError):  # UnicodeDecodeError is a ValueError
                    d, why = parse_line(raw)
                    if why is not None and count_lines:
                        report.add(path, why, line)
                    if d is SKIPPED:
                        continue
                if type(d) is not dict:
                    if count_lines:
                        report.add(path, "not_an_object", line)
                    continue
                if mixed:
                    is_comment = looks_like_comment(d)
                    if not is_comment and "title" not in d:
                        if count_lines:
                            report.add(path, "unknown_record", line)
                        continue
                    if is_comment == want_posts:
                        continue
                rec = convert(d, hint, path, line, report, synthetic)
            if rec is None:
                continue
            if check_sub:
                low = low_of.get(rec.subreddit)
                if low is None:
                    low = low_of[rec.subreddit] = rec.subreddit.lower()
                if low not in subreddits:
                    if low in others:
                        if self.spill_dir is not None:
                            out = spills.get(low) or spills.setdefault(low, self._spill_file(low, idx))
                            out.write(struct.pack("<QI", line, len(raw)) + raw)
                    elif self.count_unselected:
                        unselected += 1
                    continue
            yield rec
        for fh in spills.values():
            fh.close()
        if unselected:
            self.unselected["posts" if want_posts else "comments"] += unselected

    def _spill_file(self, target: str, idx: int):
        folder = self.spill_dir / target
        folder.mkdir(parents=True, exist_ok=True)
        return open(folder / f"{idx}.bin", "ab")


def read_spill(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, raw line) records a ``DumpSource`` spilled, in the order they were read."""
    with open(path, "rb") as fh:
        while head := fh.read(12):
            line, n = struct.unpack("<QI", head)
            yield line, fh.read(n)


# Every dump line is one JSON object, ``{"...}``: for those, decoding the bytes and
# calling the json module's own C scanner is exactly ``json.loads`` (same UTF-8 decoding
# with surrogatepass, same scanner, same "nothing but whitespace after the object" check)
# without the per-call type checks, encoding detection and whitespace regexes, which cost
# a third of the parse. Any line that fails the fast path is parsed again by json.loads.
_SCAN = json.JSONDecoder().scan_once

SKIPPED = object()  # parse_line's "no record on this line"


def parse_line(raw: bytes) -> tuple[object, str | None]:
    """One line through ``json.loads``, with the bad-input reason when there is one:
    ``(obj, None)``; ``(obj, "invalid_utf8")`` for a line repaired with U+FFFD and kept;
    ``(SKIPPED, "blank_line" | "malformed_json")`` for a line that holds no record (or nests
    too deep: ``rmbench.sources.depth``)."""
    if too_deep(raw):
        return SKIPPED, "malformed_json"
    try:
        return json.loads(raw), None
    except UnicodeDecodeError:
        try:
            return json.loads(raw.decode("utf-8", "replace")), "invalid_utf8"
        except (ValueError, RecursionError):
            return SKIPPED, "malformed_json"
    except ValueError:
        return SKIPPED, "blank_line" if not raw.strip() else "malformed_json"
    except RecursionError:
        return SKIPPED, "malformed_json"
