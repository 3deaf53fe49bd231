"""The typed decoder (``rmbench.sources.typed``) against the json path it replaces: the same
records and the same bad-input report (reasons, counts, first lines) on odd lines, on
generated ones, and the same bytes from ``prepare`` on the real dumps."""

from __future__ import annotations

import ast
import json
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rmbench.atomic import MARKER
from rmbench.sources import normalize, typed
from rmbench.sources.depth import MAX_DEPTH
from rmbench.sources.dumps import DumpSource

GOOD_COMMENT = {"id": "c1", "link_id": "t3_p1", "parent_id": "t3_p1", "subreddit": "AskVet", "body": "hello",
                "created_utc": 1600000000, "author": "a", "score": 3, "edited": False, "distinguished": None,
                "stickied": False, "is_submitter": True, "retrieved_on": 1600090000, "gildings": {}}
GOOD_POST = {"id": "p1", "subreddit": "AskVet", "title": "t", "selftext": "s", "created_utc": 1600000000,
             "author": "a", "score": 5, "is_self": True, "upvote_ratio": 0.9, "over_18": False, "stickied": False,
             "distinguished": None, "edited": False, "removed_by_category": None, "num_comments": 2,
             "media": None, "all_awardings": []}
# Wrong or odd values for each field normalize reads: every type JSON has, plus the strings
# and numbers its repairs and limits turn on.
ODD_VALUES = ["12", "1.5", "", " ", "true", "0", "t3_x", "\ud800", "a\udc00b", "é", 1.5, 5.0, -1, 0, 1, True, False,
              None, [], ["x"], {}, {"a": 1}, 2**63, -(2**63) - 1, 2**70, 1e300, -0.0, 1706745600.0, 2**33]


def _read(lines: list[bytes], kind: str, use_typed: bool, monkeypatch) -> tuple[list, dict]:
    """Records and bad-input report of a dump file holding ``lines``, with one decoder."""
    monkeypatch.setenv("RMBENCH_DECODER", "" if use_typed else "json")
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"AskVet_{kind}.ndjson"
        path.write_bytes(b"\n".join(lines) + b"\n")
        src = DumpSource(path)
        src.report.max_examples = 10**6  # every line number, not the first five
        recs = list(src.iter_posts() if kind == "submissions" else src.iter_comments())
        report = {p.replace(str(path), "FILE"): v for p, v in src.report.as_dict().items()}
    return recs, report


def _same(lines: list[bytes], kind: str, monkeypatch) -> tuple[list, dict]:
    new, old = _read(lines, kind, True, monkeypatch), _read(lines, kind, False, monkeypatch)
    assert new[0] == old[0]
    assert new[1] == old[1]
    return new


def _dumps(d: dict) -> bytes:
    return json.dumps(d).encode("utf-8", "surrogatepass")


def _odd_lines(good: dict) -> list[bytes]:
    out = []
    for name in good:
        for v in ODD_VALUES:
            out.append(_dumps(good | {name: v}))
            out.append(json.dumps(good | {name: v}, ensure_ascii=False).encode("utf-8", "surrogatepass"))
        out.append(_dumps({k: v for k, v in good.items() if k != name}))  # absent
    base = _dumps(good)
    out += [
        b"", b"   ", b"\xef\xbb\xbf" + base, b" " + base, base + b" x", base + b"{}", base + b"\x0c", base + b" \t\r",
        base[:-1] + b', "score": NaN}', base[:-1] + b', "score": Infinity}', base[:-1] + b', "x": -Infinity}',
        base[:-1] + b', "score": 1e400}', base[:-1] + b', "x": 1e400}', base[:-1] + b', "score": [1e400]}',
        base[:-1] + b', "score": ' + b"9" * 5000 + b"}", base[:-1] + b', "x": ' + b"9" * 5000 + b"}",
        base[:-1] + b', "x": ' + b"9" * 5000 + b".5}",
        base[:-1] + b', "x": "\\ud800"}', base[:-1] + b', "x": "\\udc00\\ud800"}', base[:-1] + b', "id": "\\ud800"}',
        base[:-1] + b', "x": "a\xed\xa0\x80"}', base[:-1] + b', "id": "a\xed\xa0\x80"}',
        base[:-1] + b', "x": "a\xff"}', base[:-1] + b', "id": "a\xff"}', base[:-1] + b', "x": "\xc0\x80"}',
        base[:-1] + b', "x": "\xf4\x90\x80\x80"}', base.replace(b'"score": ', b'"score": "\xe9', 1),
        base[:-1] + b', "id": "dup"}', base[:-1] + b', "score": 7, "score": "8"}', base[:-1] + b', "score": null}',
        base[:-1] + b', "score": "8", "score": 7}', base[:-1] + b', "score": 7, "score": 8}',
        b'{"\\u0069d": "esc", ' + base[1:], base[:-1] + b', "x": {"y": [1, {"z": null}]}}',
        base[:-1] + b', "x": ' + b"[" * 3000 + b"]" * 3000 + b"}",
        base[:-1] + b', "x": ' + b"[" * 400 + b"]" * 400 + b"}",
        base[:-1] + b', "body": ' + b"[" * 3000 + b"]" * 3000 + b"}", base[:-1] + b', "x": "a\x01"}',
        base[:-1] + b', "x": "\\q"}', base[:-1] + b', "x": 01}', base[:-1] + b",}", b"[1, 2]", b'"text"', b"17",
        b"null", b"{}", b'{"id": 1', b"not json", base.replace(b": ", b":\t"),
    ]
    # Nesting around the reader's depth rule (rmbench.sources.depth) and around the json
    # scanner's recursion limit, where msgspec's own limit sits a level or so away.
    limit = sys.getrecursionlimit()
    out += [base[:-1] + b', "x": ' + b"[" * d + b"]" * d + b"}"
            for d in [*range(MAX_DEPTH - 8, MAX_DEPTH + 3), *range(limit - 120, limit + 5, 5)]]
    return out


@pytest.mark.parametrize("kind, good", [("comments", GOOD_COMMENT), ("submissions", GOOD_POST)])
def test_odd_lines_give_the_json_paths_records_and_report(kind, good, monkeypatch):
    lines = _odd_lines(good)
    recs, report = _same(lines, kind, monkeypatch)
    decode = typed.line_decoder(kind == "submissions")
    taken = [raw for raw in lines if decode(raw) is not None]
    # Not a vacuous comparison: the typed path took most lines, wrong types included, and
    # both kept and dropped records and repaired others.
    assert len(taken) > len(lines) // 2 and recs
    assert {"bad_score", "score_string", "invalid_utf8", "malformed_json", "blank_line",
            "surrogates_replaced", "not_an_object"} <= set(report["FILE"])
    assert any(b'"score": "12"' in raw for raw in taken) and any(b'"score": 1.5' in raw for raw in taken)


def test_lines_msgspec_could_read_differently_are_left_to_json():
    """Each guard on its own (the comparison above passes with some of them off, since
    msgspec happens to agree today)."""
    decode = typed.line_decoder(False)
    base = _dumps(GOOD_COMMENT)
    assert decode(base).score == 3 and decode(base).get("body") == "hello" and decode(base).get("nope") is None
    # As many brackets as the guard proves shallow, then one more: both parsers could read
    # either, but past that count the guard cannot prove the line shallow any more.
    room = MAX_DEPTH - base.count(b"{") - base.count(b"[")
    assert decode(base[:-1] + b', "x": ' + b"[" * room + b"]" * room + b"}") is not None
    assert decode(base[:-1] + b', "x": ' + b"[" * (room + 1) + b"]" * (room + 1) + b"}") is None
    digits = sys.get_int_max_str_digits()
    assert decode(base[:-1] + b', "x": ' + b"1" * (digits - len(base) - 20) + b"}") is not None
    assert decode(base[:-1] + b', "x": ' + b"1" * (digits + 1) + b"}") is None
    assert decode(base[:-1] + b', "x": "\xc3\xa9"}') is not None  # é, valid UTF-8
    assert decode(base[:-1] + b', "x": "\xe9"}') is None  # not UTF-8, in a field msgspec skips
    assert decode(b" " + base) is None and decode(base + b" x") is None


def test_records_of_the_usual_types_are_checked_by_msgspec_and_the_rest_left_to_normalize():
    """A comment (post) whose values all have the fast path's types comes back as a CheckedComment
    (CheckedPost); one value of another type (or out of range, or a required field absent, or a
    value normalize repairs) as CommentFields (PostFields),
    for normalize's careful path; a lone surrogate in a field it reads, never as either."""
    decode = typed.line_decoder(False)
    assert type(decode(_dumps(GOOD_COMMENT))) is typed.CheckedComment
    assert type(decode(_dumps(GOOD_COMMENT | {"author": None, "edited": None}))) is typed.CheckedComment
    # the 2024 schema's float times, and Arctic Shift's second retrieval, take the checked record too
    for extra in ({"created_utc": 1706745600.0}, {"created_utc": 1706745600.5, "retrieved_utc": 1706745700.0},
                  {"_meta": {"retrieved_2nd_on": 1706875209, "removal_type": "deleted"}}, {"_meta": None},
                  {"_meta": {"note": "no_2nd_retrieval"}, "retrieved_on": 1706745615}):
        assert type(decode(_dumps(GOOD_COMMENT | extra))) is typed.CheckedComment, extra
    for name, value in [("score", "12"), ("score", 1.0), ("score", 2**63), ("created_utc", -0.5),
                        ("created_utc", 2**33), ("created_utc", -1), ("edited", 1700000000), ("stickied", 0),
                        ("id", None), ("body", ["x"]), ("subreddit", 5), ("is_submitter", "true"),
                        ("retrieved_on", "1600090000"), ("retrieved_utc", True), ("_meta", []),
                        ("_meta", {"retrieved_2nd_on": "x"})]:
        rec = decode(_dumps(GOOD_COMMENT | {name: value}))
        assert type(rec) is typed.CommentFields and rec.get(name) == value, name
    assert type(decode(_dumps({k: v for k, v in GOOD_COMMENT.items() if k != "link_id"}))) is typed.CommentFields
    for name in ("id", "body", "author", "subreddit", "distinguished"):
        for bad in (b'"\\ud800"', b'"a\xed\xa0\x80"', b'"\\udc00\\ud800"'):
            raw = _dumps(GOOD_COMMENT | {name: "S"}).replace(b'"S"', bad)
            assert decode(raw) is None, (name, raw)
    posts = typed.line_decoder(True)
    assert type(posts(_dumps(GOOD_POST))) is typed.CheckedPost
    assert type(posts(_dumps(GOOD_POST | {"upvote_ratio": 1, "num_comments": None}))) is typed.CheckedPost
    assert type(posts(_dumps(GOOD_POST | {"created_utc": 1706745600.0}))) is typed.CheckedPost
    for name, value in [("score", None), ("score", "5"), ("upvote_ratio", 1.5), ("upvote_ratio", "0.5"),
                        ("upvote_ratio", True), ("num_comments", 2.0), ("is_self", 1), ("edited", 1700000000),
                        ("title", None), ("selftext", 3), ("created_utc", -0.5)]:
        rec = posts(_dumps(GOOD_POST | {name: value}))
        assert type(rec) is typed.PostFields and rec.get(name) == value, name


def test_the_typed_record_lists_every_field_normalize_reads():
    """A field normalize starts reading must be decoded too, or it would read as absent."""
    tree = ast.parse(Path(normalize.__file__).read_text(encoding="utf-8"))
    read = {node.args[0].value for node in ast.walk(tree) if isinstance(node, ast.Call) and node.args
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) == "get"}
    for names in (normalize.COMMENT_REQUIRED, normalize.POST_REQUIRED):
        read |= set(names)
    fields = set(typed.CommentFields.__struct_fields__) | set(typed.PostFields.__struct_fields__)
    fields |= set(typed.CheckedMeta.__struct_fields__)  # read inside ``_meta``
    assert {"score", "is_submitter", "num_comments", "upvote_ratio"} <= read  # the scan found the reads
    assert read <= fields


def test_json_switch_turns_the_typed_decoder_off(monkeypatch):
    monkeypatch.setenv("RMBENCH_DECODER", "json")
    assert not typed.enabled()
    monkeypatch.delenv("RMBENCH_DECODER")
    assert typed.enabled()


# -- generated lines ---------------------------------------------------------------------------
chars = st.one_of(st.characters(), st.characters(categories=["Cs"]))
texts = st.text(chars, max_size=8)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=2**63 - 2, max_value=2**70),
                    st.floats(allow_nan=True, allow_infinity=True), texts, st.sampled_from(ODD_VALUES[:9]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(texts, inner, max_size=3)), max_leaves=5)


def _line(good: dict) -> st.SearchStrategy:
    """A good record with some fields replaced by anything, an unknown field or two, written
    by json.dumps (escaped or raw UTF-8), sometimes with a duplicate key or a byte flipped."""
    names = st.sampled_from(sorted(good) + ["x", "extra"])
    record = st.dictionaries(names, values, max_size=4).map(lambda over: good | over)

    def write(args) -> bytes:
        d, ascii_only, dup, cut = args
        raw = json.dumps(d, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
        if dup is not None:
            raw = raw[:-1] + b", " + json.dumps(dup[0]).encode() + b": " + _dumps_value(dup[1]) + b"}"
        if cut is not None:
            at, byte = cut
            at %= len(raw)
            raw = raw[:at] + bytes([byte]) + raw[at + 1:]
        return raw.replace(b"\n", b" ")

    dups = st.none() | st.tuples(names, values)
    cuts = st.none() | st.none() | st.tuples(st.integers(0, 10**4), st.integers(0, 255))
    return st.tuples(record, st.booleans(), dups, cuts).map(write)


def _dumps_value(v) -> bytes:
    return json.dumps(v).encode("utf-8", "surrogatepass")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(comments=st.lists(_line(GOOD_COMMENT), min_size=1, max_size=12),
       posts=st.lists(_line(GOOD_POST), min_size=1, max_size=6))
def test_generated_lines_give_the_json_paths_records_and_report(comments, posts, monkeypatch):
    _same(comments, "comments", monkeypatch)
    _same(posts, "submissions", monkeypatch)


# -- the real dumps ------------------------------------------------------------------------------
def _output_bytes(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file() and p.name != MARKER}


@pytest.mark.slow
def test_prepare_on_the_real_dumps_gives_the_json_paths_bytes(shared_dumps, tmp_path, monkeypatch):
    from rmbench.prepare import prepare

    monkeypatch.setenv("RMBENCH_DECODER", "json")
    old = prepare(str(shared_dumps), tmp_path / "json", progress=False, workers=1)
    monkeypatch.delenv("RMBENCH_DECODER")
    new = prepare(str(shared_dumps), tmp_path / "typed", progress=False, workers=1)
    assert new == old
    got, want = _output_bytes(tmp_path / "typed"), _output_bytes(tmp_path / "json")
    assert got == want and "manifest.json" in got and len(got) > 3
    assert sum(new["source"]["records"][k] for k in ("posts", "comments")) > 100_000  # the real data, read


T = GOOD_COMMENT["created_utc"]
# (snapshot fields of a comment created at T, the snapshot time read, bad-input reasons)
SNAPSHOTS = [
    ({}, None, []),  # the dump does not say
    ({"retrieved_on": T + 90}, T + 90, []),  # Pushshift
    ({"retrieved_utc": T + 50, "retrieved_on": T + 90}, T + 50, []),  # later Pushshift dumps
    # Arctic Shift: the second retrieval (~36 h on, with the settled score) wins; without one
    # (``note: no_2nd_retrieval``), the first, seconds after posting, is what the score is
    ({"_meta": {"retrieved_2nd_on": T + 129_609, "is_edited": True}, "retrieved_on": T + 15}, T + 129_609, []),
    ({"_meta": {"note": "no_2nd_retrieval"}, "retrieved_on": T + 15.0}, T + 15, []),
    ({"_meta": {"retrieved_2nd_on": None}, "retrieved_utc": T + 15}, T + 15, []),
    ({"retrieved_on": f"{T + 90}"}, T + 90, ["retrieved_utc_string"]),
    ({"retrieved_on": T + 90.75}, T + 90, []),  # truncated, as created_utc
    ({"retrieved_on": T}, T, []),  # read the second it was posted: an age of 0
    # unusable: the age is unknown and the comment kept, with a note
    ({"retrieved_on": T - 1}, None, ["retrieved_unusable"]),  # before the comment
    ({"retrieved_on": "soon"}, None, ["retrieved_unusable"]),
    ({"retrieved_on": True}, None, ["retrieved_unusable"]),
    ({"retrieved_on": [T]}, None, ["retrieved_unusable"]),
    ({"retrieved_on": 2**33}, None, ["retrieved_unusable"]),
    ({"retrieved_on": 1e300}, None, ["retrieved_unusable"]),
    ({"_meta": "x", "retrieved_on": T + 90}, None, ["retrieved_unusable"]),  # no second retrieval to trust
    ({"_meta": {"retrieved_2nd_on": "later"}, "retrieved_on": T + 15}, None, ["retrieved_unusable"]),
    ({"retrieved_on": f"{T - 5}"}, None, ["retrieved_unusable"]),  # a note for what was dropped, not its repair
]


@pytest.mark.parametrize("fields,expected,reasons", SNAPSHOTS)
def test_the_score_snapshot_time_is_read_the_same_by_both_decoders(fields, expected, reasons, monkeypatch):
    """When a comment's score was read (``Comment.retrieved_utc``, which the score age and
    ``min_score_age_s`` use): the same record, time and notes from the typed decoder and the
    json path, on the usual types and on odd ones; an unusable time is unknown, never a reason
    to drop the comment."""
    good = {k: v for k, v in GOOD_COMMENT.items() if k != "retrieved_on"}
    (rec,), report = _same([_dumps(good | fields)], "comments", monkeypatch)
    assert rec.retrieved_utc == expected and type(rec.retrieved_utc) is (int if expected is not None else type(None))
    assert sorted(r for per_file in report.values() for r in per_file) == reasons
    assert all(v["input"] == "kept" for per_file in report.values() for v in per_file.values())
