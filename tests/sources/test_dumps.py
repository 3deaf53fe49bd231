"""The dump reader: formats, specs, every bad-input case, the 2024 schema and the shared dumps."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from pathlib import Path

import pytest
import zstandard

from rmbench.records import Comment, Post
from rmbench.errors import SourceError
from rmbench.sources import open_source
from rmbench.sources.depth import too_deep
from rmbench.sources.dumps import DumpFile, DumpSource, classify
from rmbench.sources.lines import iter_lines

SCHEMA_SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "schema-samples" / "arctic_shift_comments_2024.ndjson"


def comment(i: int, **over) -> dict:
    d = {"id": f"c{i}", "link_id": "t3_p1", "parent_id": "t3_p1", "subreddit": "AskCulinary",
         "body": f"answer {i}", "author": f"user{i}", "created_utc": 1600000000 + i, "score": 5}
    d.update(over)
    return d


def post(i: int, **over) -> dict:
    d = {"id": f"p{i}", "subreddit": "AskCulinary", "title": f"question {i}", "selftext": "body",
         "created_utc": 1600000000, "score": 20, "is_self": True}
    d.update(over)
    return d


def zst(data: bytes, window_log: int = 31) -> bytes:
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=window_log, write_checksum=True)
    return zstandard.ZstdCompressor(compression_params=params).compress(data)


def ndjson(rows: list) -> bytes:
    return b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in rows)


@pytest.fixture
def good_dir(tmp_path: Path) -> Path:
    (tmp_path / "AskCulinary_submissions.zst").write_bytes(zst(ndjson([post(1), post(2)])))
    (tmp_path / "AskCulinary_comments.zst").write_bytes(zst(ndjson([comment(i) for i in range(5)])))
    (tmp_path / "GradSchool_submissions.zst").write_bytes(zst(ndjson([post(3, subreddit="GradSchool")])))
    (tmp_path / "GradSchool_comments.zst").write_bytes(zst(ndjson([comment(9, subreddit="GradSchool")])))
    (tmp_path / "README.txt").write_text("not data")  # beside the dumps, not one of them
    return tmp_path


def test_every_bad_input_case_is_counted_with_line_numbers(tmp_path: Path):
    lines = [
        comment(1),                                      # 1 fine
        b'{"id": "c2", "body": "unterminated',           # 2 malformed JSON
        {k: v for k, v in comment(3).items() if k != "body"},  # 3 missing body
        json.dumps(comment(4, body="caf\u00e9"), ensure_ascii=False).encode().replace(b"\xc3\xa9", b"\xe9"),  # 4 invalid UTF-8
        comment(5, created_utc="1600000005"),            # 5 string created_utc (repaired)
        comment(6, score=None),                          # 6 null score (kept)
        b"[1, 2, 3]",                                    # 7 JSON, not an object
        b"",                                             # 8 blank line
        comment(9, created_utc="yesterday"),             # 9 unparsable time
        {k: v for k, v in comment(10).items() if k != "link_id"},  # 10 missing link_id
        comment(11),                                     # 11 fine
    ]
    path = tmp_path / "AskCulinary_comments.zst"
    path.write_bytes(zst(ndjson(lines)))
    src = DumpSource(tmp_path)
    got = {c.id: c for c in src.iter_comments()}
    assert set(got) == {"c1", "c4", "c5", "c6", "c11"}  # repaired lines are kept, broken ones skipped
    assert got["c4"].body == "caf\ufffd"
    assert got["c5"].created_utc == 1600000005
    assert got["c6"].score is None
    report = src.report.as_dict()[str(path)]
    expected = {"malformed_json": [2], "missing_body": [3], "invalid_utf8": [4], "created_utc_string": [5],
                "score_null": [6], "not_an_object": [7], "blank_line": [8], "bad_created_utc": [9],
                "missing_link_id": [10]}
    assert {k: v["first_lines"] for k, v in report.items()} == expected
    assert all(v["count"] == 1 for v in report.values())


def test_posts_missing_required_fields_are_counted(tmp_path: Path):
    path = tmp_path / "X_submissions.ndjson"
    path.write_bytes(ndjson([post(1), {"id": "p2", "created_utc": 1}, post(3, created_utc=None), post(4, id=7)]))
    src = DumpSource(path)
    assert [p.id for p in src.iter_posts()] == ["p1"]
    assert {k: v["first_lines"] for k, v in src.report.as_dict()[str(path)].items()} == {
        "missing_title": [2], "missing_created_utc": [3], "bad_id": [4]}


def test_first_lines_are_capped_but_counts_are_not(tmp_path: Path):
    path = tmp_path / "AskCulinary_comments.ndjson"
    path.write_bytes(ndjson([b"nope"] * 12))
    src = DumpSource(path)
    assert list(src.iter_comments()) == []
    entry = src.report.as_dict()[str(path)]["malformed_json"]
    assert entry["count"] == 12 and entry["first_lines"] == [1, 2, 3, 4, 5]


def test_truncated_zst_raises_naming_the_file(tmp_path: Path):
    data = zst(ndjson([comment(i, body="x" * 200 + str(i)) for i in range(2000)]))
    path = tmp_path / "AskCulinary_comments.zst"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError, match="truncated") as err:
        list(DumpSource(tmp_path).iter_comments())
    assert err.value.path == str(path) and str(path) in str(err.value)


def test_corrupt_zst_raises_naming_the_file(tmp_path: Path):
    data = bytearray(zst(ndjson([comment(i, body=f"text {i} " * 30) for i in range(2000)])))
    mid = len(data) // 2
    data[mid:mid + 64] = b"\x00" * 64
    path = tmp_path / "AskCulinary_comments.zst"
    path.write_bytes(bytes(data))
    with pytest.raises(SourceError) as err:
        list(DumpSource(tmp_path).iter_comments())
    assert err.value.path == str(path)


def test_not_zstd_at_all_raises(tmp_path: Path):
    path = tmp_path / "AskCulinary_comments.zst"
    path.write_bytes(ndjson([comment(1)]))  # plain text under a .zst name
    with pytest.raises(SourceError, match="corrupt zstd"):
        list(DumpSource(path).iter_comments())


def test_truncated_gz_raises(tmp_path: Path):
    data = gzip.compress(ndjson([comment(i, body=f"text {i} " * 30) for i in range(500)]))
    path = tmp_path / "AskCulinary_comments.ndjson.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError, match="truncated gzip"):
        list(DumpSource(path).iter_comments())


def test_missing_path_raises():
    with pytest.raises(SourceError, match="no such file"):
        open_source("/nonexistent/rmbench/dumps")


@pytest.mark.parametrize("name,encode", [
    ("AskCulinary_comments.zst", zst),
    ("AskCulinary_comments.ndjson.gz", gzip.compress),
    ("AskCulinary_comments.ndjson", lambda b: b),
    ("AskCulinary_comments.jsonl", lambda b: b.rstrip(b"\n")),  # no final newline
    ("AskCulinary_comments.zst", lambda b: zst(b[:40]) + zst(b[40:])),  # two frames, cut mid-line
])
def test_formats_read_the_same_records(tmp_path: Path, name, encode):
    rows = [comment(i) for i in range(7)]
    (tmp_path / name).write_bytes(encode(ndjson(rows)))
    src = open_source(str(tmp_path / name))
    assert [c.id for c in src.iter_comments()] == [r["id"] for r in rows]
    assert src.report.total() == 0


def test_directory_spec_filters_and_provenance(good_dir: Path):
    src = open_source(str(good_dir))
    assert isinstance(src, DumpSource)
    assert src.subreddits() == {"AskCulinary", "GradSchool"}
    assert [p.id for p in src.iter_posts(subreddits={"gradschool"})] == ["p3"]
    assert src.bytes_read == (good_dir / "GradSchool_submissions.zst").stat().st_size  # other files unread
    assert {c.subreddit for c in src.iter_comments()} == {"AskCulinary", "GradSchool"}
    files = src.files()
    assert len(files) == 4
    for path, meta in files.items():
        assert meta["sha256"] == hashlib.sha256(Path(path).read_bytes()).hexdigest()
        assert meta["bytes"] == Path(path).stat().st_size
    assert src.progress_total() == sum(meta["bytes"] for meta in files.values())
    assert src.progress_total(subreddits={"askculinary"}) == sum(
        meta["bytes"] for path, meta in files.items() if "AskCulinary" in path)


def test_file_names_decide_the_kind():
    assert classify(Path("AskCulinary_submissions.zst")).kind == "submissions"
    assert classify(Path("Ask_Culinary_comments.ndjson.gz")).subreddit == "Ask_Culinary"
    assert classify(Path("AskCulinary_posts.jsonl")) == DumpFile(Path("AskCulinary_posts.jsonl"), "submissions",
                                                                  "AskCulinary")
    assert classify(Path("RS_2024-01.zst")).kind == "submissions"
    assert classify(Path("RC_2024-01.zst")).kind == "comments"
    assert classify(Path("export.jsonl")).kind == "mixed"


def test_mixed_file_splits_records_and_filters_by_record(tmp_path: Path):
    path = tmp_path / "export.jsonl"
    path.write_bytes(ndjson([post(1), comment(1), b"oops", {"foo": 1}, comment(2, subreddit="GradSchool")]))
    src = DumpSource(path)
    assert src.subreddits() is None
    assert [p.id for p in src.iter_posts()] == ["p1"]
    assert [c.id for c in src.iter_comments(subreddits={"askculinary"})] == ["c1"]
    report = src.report.as_dict()[str(path)]  # counted once, though the file is read twice
    assert report == {"malformed_json": {"count": 1, "first_lines": [3], "input": "skipped"},
                      "unknown_record": {"count": 1, "first_lines": [4], "input": "skipped"}}
    assert src.unselected == {"comments": 1}  # r/GradSchool's comment was read and passed over: counted


def test_old_minimal_dump_gets_subreddit_from_file_name(tmp_path: Path):
    old = {"id": "c1", "link_id": "t3_p1", "parent_id": "p1", "body": "hi", "created_utc": "1303272568",
           "score": 3, "author": "a"}
    path = tmp_path / "Emory_comments.ndjson"
    path.write_bytes(ndjson([old]))
    (c,) = DumpSource(path).iter_comments()
    assert (c.subreddit, c.created_utc, c.parent_id, c.top_level, c.edited, c.stickied) == \
        ("Emory", 1303272568, "t3_p1", True, None, None)


def test_full_2024_schema_sample_parses():
    if not SCHEMA_SAMPLE.exists():
        pytest.skip(f"schema sample not found at {SCHEMA_SAMPLE}")
    n_lines = sum(1 for line in SCHEMA_SAMPLE.read_bytes().splitlines() if line.strip())
    src = DumpSource(SCHEMA_SAMPLE)
    comments = list(src.iter_comments())
    raw = [json.loads(line) for line in SCHEMA_SAMPLE.read_bytes().splitlines() if line.strip()]
    assert len(comments) == n_lines
    # The only repair allowed: some real 2024 records give created_utc as a string.
    n_string_times = sum(isinstance(r["created_utc"], str) for r in raw)
    assert src.report.total() == n_string_times
    if n_string_times:
        assert set(src.report.as_dict()[str(SCHEMA_SAMPLE)]) == {"created_utc_string"}
    for c, r in zip(comments, raw):
        assert isinstance(c, Comment)
        assert c.id == r["id"] and not c.id.startswith("t1_") and c.post_id == r["link_id"][3:]
        assert type(c.created_utc) is int and c.created_utc == int(float(r["created_utc"]))
        assert c.edited == (None if r.get("edited") is None else bool(r["edited"])) and c.subreddit == r["subreddit"]
        assert c.score == r["score"] and c.stickied == r.get("stickied") and c.is_submitter == r.get("is_submitter")


def _readme_counts(readme: Path) -> dict[str, tuple[int, int, int]]:
    rows = re.findall(r"^\| (\w+) \| ([\d,]+) \| ([\d,]+) \| ([\d,]+) \|", readme.read_text(), re.M)
    return {sub: tuple(int(x.replace(",", "")) for x in nums) for sub, *nums in rows}


def test_shared_dumps_match_their_readme(shared_dumps: Path):
    expected = _readme_counts(shared_dumps.parent / "README.md")
    assert expected, "the README's table of record counts was not found"
    src = open_source(str(shared_dumps))
    assert src.subreddits() == set(expected)
    posts: dict[str, int] = {}
    comments: dict[str, list[int]] = {}
    for p in src.iter_posts():
        assert isinstance(p, Post) and not p.synthetic
        posts[p.subreddit] = posts.get(p.subreddit, 0) + 1
    for c in src.iter_comments():
        n = comments.setdefault(c.subreddit, [0, 0])
        n[0] += 1
        n[1] += c.top_level
    got = {sub: (posts[sub], comments[sub][0], comments[sub][1]) for sub in posts}
    assert got == expected
    assert src.report.total() == 0
    assert src.bytes_read == sum(f.stat().st_size for f in shared_dumps.glob("*.zst"))


def test_iter_lines_streams_bytes_without_newlines(tmp_path: Path):
    path = tmp_path / "x.ndjson"
    path.write_bytes(b"a\r\nb\n\nc")
    assert list(iter_lines(path)) == [b"a\r", b"b", b"", b"c"]


def _oracle(raw: bytes):
    """What json.loads says about one line: (object, reason) like the reader's contract;
    plus the reader's one rule of its own, a line nested deeper than MAX_DEPTH is malformed."""
    if too_deep(raw):
        return None, "malformed_json"
    try:
        return json.loads(raw), None
    except UnicodeDecodeError:
        try:
            return json.loads(raw.decode("utf-8", "replace")), "invalid_utf8"
        except (ValueError, RecursionError):
            return None, "malformed_json"
    except ValueError:
        return None, "blank_line" if not raw.strip() else "malformed_json"
    except RecursionError:
        return None, "malformed_json"


def test_fast_json_path_agrees_with_json_loads_on_odd_lines(tmp_path: Path):
    """The reader parses '{"...' lines with json's scanner directly (rmbench.sources.dumps):
    every odd line must come out exactly as json.loads would have it."""
    good = json.dumps(comment(1)).encode()
    odd = [
        good, good + b"\r", good + b" \t \r", good + b" x", good + b"{}", good + b"\x00",
        good[:-1] + b', "s": "\xed\xa0\x80"}',  # a UTF-8-encoded lone surrogate: json.loads accepts it
        good[:-1] + b', "s": "\xff"}',          # invalid UTF-8: repaired and kept
        good[:-1] + b', "s": "\xff"} x',        # invalid UTF-8 and extra data
        good[:-1] + b', "n": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",  # deeper than the recursion limit
        good[:-1] + b', "id": "c2"}',           # duplicate key: the last wins, as in json.loads
        b"\xef\xbb\xbf" + good,                 # a UTF-8 BOM
        b'{"' + b"\x00" * 6 + b'"}', b' ' + good, b'{"a": NaN, "id": 1}', b"{}", b'{"', b"[1]", b"",
    ]
    (tmp_path / "AskCulinary_comments.ndjson").write_bytes(b"\n".join(odd) + b"\n")
    src = DumpSource(tmp_path)
    got = {c.id: c for c in src.iter_comments()}
    reasons: dict[str, list[int]] = {}
    expected_ids = []
    for line, raw in enumerate(odd, 1):
        obj, why = _oracle(raw)
        if why is not None:
            reasons.setdefault(why, []).append(line)
        if why in (None, "invalid_utf8") and not isinstance(obj, dict):
            reasons.setdefault("not_an_object", []).append(line)
        elif isinstance(obj, dict) and isinstance(obj.get("id"), str) and isinstance(obj.get("body"), str):
            expected_ids.append(obj["id"])
    counts = src.report.counts[str(tmp_path / "AskCulinary_comments.ndjson")]
    for why, lines in reasons.items():
        assert counts[why] == len(lines), why
        assert src.report.examples[str(tmp_path / "AskCulinary_comments.ndjson")][why] == lines[:5]
    assert sorted(got) == sorted(set(expected_ids))


# -- nothing named like a dump is skipped without a note (issue 12) ------------------------------
def test_bz2_and_xz_dumps_are_read_and_cut_ones_are_errors(tmp_path: Path):
    import bz2
    import lzma

    data = ndjson([comment(1), comment(2)])
    (tmp_path / "AskCulinary_comments.ndjson.bz2").write_bytes(bz2.compress(data))
    (tmp_path / "AskCulinary_submissions.xz").write_bytes(lzma.compress(ndjson([post(1)])))
    src = DumpSource(tmp_path)
    assert [c.id for c in src.iter_comments()] == ["c1", "c2"] and [p.id for p in src.iter_posts()] == ["p1"]
    (tmp_path / "AskCulinary_comments.ndjson.bz2").write_bytes(bz2.compress(data)[:-10])
    with pytest.raises(SourceError, match="truncated bz2"):
        list(DumpSource(tmp_path).iter_comments())


def test_an_empty_compressed_dump_is_an_error_not_an_empty_file(tmp_path: Path):
    (tmp_path / "AskCulinary_comments.zst").write_bytes(b"")
    with pytest.raises(SourceError, match=r"AskCulinary_comments.zst: empty zstd file \(0 bytes\)"):
        list(DumpSource(tmp_path).iter_comments())


def test_entries_named_like_dumps_that_cannot_be_read_are_noted(tmp_path: Path):
    import os

    (tmp_path / "AskCulinary_comments.ndjson").write_bytes(ndjson([comment(1)]))
    (tmp_path / "GradSchool_comments.zst").mkdir()  # a directory
    os.mkfifo(tmp_path / "Emory_comments.ndjson")  # a FIFO: opening it would block forever
    (tmp_path / "AskVet_comments.zst").symlink_to(tmp_path / "gone.zst")  # dangling
    (tmp_path / "AskDocs_comments.7z").write_bytes(b"7z")  # an archive rmbench cannot stream
    (tmp_path / "notes.txt").write_text("not named like a dump: ignored")
    src = DumpSource(tmp_path)
    assert [c.id for c in src.iter_comments()] == ["c1"]
    notes = {Path(p).name: set(r) for p, r in src.report.as_dict().items()}
    assert notes == {"GradSchool_comments.zst": {"not_a_regular_file"}, "Emory_comments.ndjson": {"not_a_regular_file"},
                     "AskVet_comments.zst": {"dangling_symlink"}, "AskDocs_comments.7z": {"unsupported_compression"}}


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_fifo_or_device_as_the_source_is_a_clear_error(tmp_path: Path, kind):
    import os

    path = tmp_path / "pipe" if kind == "fifo" else Path("/dev/null")
    if kind == "fifo":
        os.mkfifo(path)
    with pytest.raises(SourceError, match="a FIFO|a character device"):
        open_source(str(path))
