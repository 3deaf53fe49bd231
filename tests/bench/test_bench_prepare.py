"""bench/bench_prepare.py's replicated dump (also bench_memory.py --scale's): new ids that
keep every thread together, and, when asked, texts that differ between copies."""

from __future__ import annotations

import json
from pathlib import Path

import zstandard


def _write(path: Path, records: list[dict]) -> None:
    path.write_bytes(zstandard.ZstdCompressor().compress("".join(json.dumps(r) + "\n" for r in records).encode()))


def _read(path: Path) -> list[dict]:
    with open(path, "rb") as f:
        data = zstandard.ZstdDecompressor().stream_reader(f).read()
    return [json.loads(line) for line in data.splitlines()]


def test_copies_get_new_ids_and_when_asked_their_own_texts(tmp_path, bench_script):
    bench = bench_script("bench_prepare")
    src = tmp_path / "src"
    src.mkdir()
    _write(src / "Emory_submissions.zst", [{"id": "p1", "title": "Why?", "selftext": "", "subreddit": "Emory"}])
    _write(src / "Emory_comments.zst", [
        {"id": "c1", "link_id": "t3_p1", "parent_id": "t3_p1", "body": "Because.", "subreddit": "Emory"},
        {"id": "c2", "link_id": "t3_p1", "parent_id": "t1_c1", "body": "[deleted]", "subreddit": "Emory"}])
    for distinct in (False, True):
        dst = tmp_path / f"x3-{distinct}"
        bench.make_scaled(src, dst, 3, distinct_text=distinct)
        posts, comments = _read(dst / "Emory_submissions.zst"), _read(dst / "Emory_comments.zst")
        assert [p["id"] for p in posts] == ["r0p1", "r1p1", "r2p1"]
        assert [(c["id"], c["link_id"], c["parent_id"]) for c in comments[2:4]] == [
            ("r1c1", "t3_r1p1", "t3_r1p1"), ("r1c2", "t3_r1p1", "t1_r1c1")]
        titles, bodies = [p["title"] for p in posts], [c["body"] for c in comments]
        if distinct:
            assert titles == ["Why?", "Why? (copy 1)", "Why? (copy 2)"]
            assert bodies[::2] == ["Because.", "Because. (copy 1)", "Because. (copy 2)"]
        else:
            assert titles == ["Why?"] * 3 and bodies[::2] == ["Because."] * 3
        assert bodies[1::2] == ["[deleted]"] * 3 and [p["selftext"] for p in posts] == [""] * 3


def test_phases_add_up_to_the_run_and_each_stage_is_timed(tmp_path, bench_script, monkeypatch):
    """step_phases times prepare/1's stages by wrapping them: every stage must be found and
    called (a renamed one fails here, not in a long benchmark), every part is reported, and
    the stages are themselves again afterwards."""
    bench = bench_script("bench_prepare")
    src = tmp_path / "src"
    src.mkdir()
    _write(src / "Emory_submissions.zst", [{"id": f"p{i}", "title": f"Question {i}?", "selftext": "", "subreddit": "Emory",
                                            "created_utc": 1_600_000_000 + i, "score": 10} for i in range(3)])
    _write(src / "Emory_comments.zst", [
        {"id": f"c{i}{j}", "link_id": f"t3_p{i}", "parent_id": f"t3_p{i}", "body": f"Answer {j} " * (j + 1),
         "subreddit": "Emory", "author": f"u{j}", "created_utc": 1_600_000_100 + 10 * j, "score": 3 ** (j + 1)}
        for i in range(3) for j in range(3)])
    calls, before = {}, {}
    for label, module, owner, attr in bench.PHASES:  # count the calls through the same attributes
        holder = bench.phase_holder(module, owner)

        def counting(*a, _f=getattr(holder, attr), _label=label, **kw):
            calls[_label] = calls.get(_label, 0) + 1
            return _f(*a, **kw)

        monkeypatch.setattr(holder, attr, counting)
        before[label] = (holder, attr, counting)
    result = bench.step_phases(str(src))
    spent = result["phases_cpu_s"]
    assert sorted(calls) == sorted(label for label, *_ in bench.PHASES)
    assert all(getattr(holder, attr) is f for holder, attr, f in before.values())
    assert set(spent) == {"import rmbench.prepare", "task registry", "other"} | set(calls)
    assert all(v >= 0 for k, v in spent.items() if k != "other")
    assert result["objects"] == 12 and sum(result["pairs"]["emory"].values()) > 0


def test_the_2024_schema_copy_keeps_every_comment_and_prepares_to_the_same_pairs(tmp_path, bench_script):
    """make_schema2024: each comment gains the sample's fields but keeps its own values (its
    time as a float, its second read a day after its retrieved_on); prepare reads both copies
    into the same pairs, the copy's score ages from ``_meta.retrieved_2nd_on``."""
    from rmbench.prepare import prepare

    bench = bench_script("bench_prepare")
    src = tmp_path / "src"
    src.mkdir()
    _write(src / "Emory_submissions.zst", [{"id": f"p{i}", "title": f"Question {i}?", "selftext": "", "subreddit": "Emory",
                                            "created_utc": 1_600_000_000 + i, "score": 10} for i in range(3)])
    comments = [{"id": f"c{i}{j}", "link_id": f"t3_p{i}", "parent_id": f"t3_p{i}", "body": f"Answer {j} " * (j + 1),
                 "subreddit": "Emory", "author": f"u{j}", "created_utc": 1_600_000_100 + 10 * j, "score": 3 ** (j + 1),
                 "retrieved_on": 1_600_090_000} for i in range(3) for j in range(3)]
    _write(src / "Emory_comments.zst", comments)
    sample = tmp_path / "sample.ndjson"
    sample.write_text(json.dumps({"_meta": {"retrieved_2nd_on": 1}, "all_awardings": [], "archived": False,
                                  "body": "x", "created_utc": 1.0, "id": "x", "gilded": 0, "score": 1}) + "\n")
    bench.make_schema2024(src, tmp_path / "modern", sample)
    modern = _read(tmp_path / "modern" / "Emory_comments.zst")
    assert [c["id"] for c in modern] == [c["id"] for c in comments]
    assert all(m["archived"] is False and m["body"] == c["body"] and m["created_utc"] == float(c["created_utc"])
               and m["_meta"] == {"retrieved_2nd_on": 1_600_090_000 + 86_400} for m, c in zip(modern, comments))
    assert (tmp_path / "modern" / "Emory_submissions.zst").read_bytes() == (src / "Emory_submissions.zst").read_bytes()
    rows = {}
    for name in ("src", "modern"):
        prepare(str(tmp_path / name), tmp_path / f"out-{name}", progress=False, workers=1)
        rows[name] = [json.loads(x) for x in (tmp_path / f"out-{name}" / "emory" / "train.jsonl").read_text().splitlines()]
    assert rows["src"] and [r["pair_id"] for r in rows["src"]] == [r["pair_id"] for r in rows["modern"]]
    for a, b in zip(rows["src"], rows["modern"]):
        assert b["chosen_score_age_s"] == a["chosen_score_age_s"] + 86_400
