"""``evaluate --seen DIR``: held-out pairs that share a post or a response with what the model
was trained on are left out and counted, as pairs found in a reference task are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rmbench.cli import main
from rmbench.prepare.dedup import prompt_keys, text_keys
from rmbench.prepared.load import load_split

SIZES = {"askacademia": {"train": 48, "validation": 16, "test": 24, "test_hard": 12}}


@pytest.fixture(scope="module")
def data(tmp_path_factory, write_prepared) -> Path:
    return write_prepared(tmp_path_factory.mktemp("data") / "data")


@pytest.fixture(scope="module")
def seen(tmp_path_factory, write_prepared) -> Path:
    """The same askacademia pairs as ``data``'s (same task, sizes and seed): what a model trained on them saw."""
    return write_prepared(tmp_path_factory.mktemp("seen") / "seen", sizes=SIZES)


def _evaluate(data: Path, out: Path, *extra: str):
    return CliRunner().invoke(main, ["evaluate", "--model", "baseline:longer", "--data", str(data), "--tasks",
                                     "askacademia", "--out", str(out), "--quiet", "--set", "eval.bootstrap_samples=50",
                                     "--set", "eval.min_fit_pairs=20", "--set", "eval.min_fit_posts=5", *extra])


def test_pairs_of_posts_the_model_saw_are_left_out_and_counted(data, seen, tmp_path):
    plain = _evaluate(data, tmp_path / "plain")
    assert plain.exit_code == 0, plain.output
    result = _evaluate(data, tmp_path / "seen", "--seen", str(seen))
    assert result.exit_code == 0, result.output
    before = json.loads((tmp_path / "plain" / "results.json").read_text())
    doc = json.loads((tmp_path / "seen" / "results.json").read_text())
    cards, was = doc["results"]["askacademia"]["splits"], before["results"]["askacademia"]["splits"]
    assert was["heldout_all"]["n"] == 48 + 16 + 24
    # its train and validation posts were seen, its test posts were not; a seen pair survives only
    # when none of its texts can identify it (each under dedup's 40 characters)
    kept = {r["pair_id"] for r in map(json.loads, (tmp_path / "seen" / "predictions.jsonl").read_text().splitlines())
            if r["split"] == "heldout_all"}
    test = {r["pair_id"]: r for r in load_split(data, "askacademia", "test")}
    seen_rows = {r["pair_id"]: r for r in load_split(data, "askacademia", "train") + load_split(data, "askacademia", "validation")}
    assert set(test) <= kept and cards["test"]["n"] == was["test"]["n"] == 24
    survivors = kept - set(test)
    assert len(survivors) < 5 and all(not prompt_keys(seen_rows[i]["prompt"]) and not text_keys(seen_rows[i]["chosen"])
                                      and not text_keys(seen_rows[i]["rejected"]) for i in survivors)
    dropped = 88 - cards["heldout_all"]["n"]
    block = doc["contamination"]["askacademia"]
    manifest = json.loads((seen / "manifest.json").read_text())
    assert block["seen"] == [{"data": str(seen), "fingerprint": manifest["fingerprint"], "splits": ["train", "validation"],
                              "tasks": ["askacademia"], "pairs": 64}]
    assert block["pairs"]["heldout_all"] == dropped == 64 - len(survivors) and sum(block["by_reason"].values()) == dropped
    assert "(what the model saw)" in (tmp_path / "seen" / "report.md").read_text()


def _identifying(task, split, rows):
    for r in rows:  # every prompt long enough to identify its post
        r["prompt"] += f" -- a post long enough to be told apart, number {r['post_id']}"


def test_everything_seen_is_an_error_naming_the_seen_data(write_prepared, tmp_path):
    data = write_prepared(tmp_path / "data", edit=_identifying)
    seen = write_prepared(tmp_path / "seen", sizes=SIZES, edit=_identifying)
    result = _evaluate(data, tmp_path / "all", "--seen", str(seen), "--set", "data.seen_splits=heldout_all")
    assert result.exit_code != 0
    assert "are contaminated" in result.output and f"the data the model saw, {seen}" in result.output
    assert not (tmp_path / "all").exists()  # refused before any work


def test_bad_seen_input_is_a_clear_error(data, tmp_path):
    result = _evaluate(data, tmp_path / "a", "--seen", str(tmp_path))
    assert result.exit_code != 0 and "--seen" in result.output and "prepared folder" in result.output
    result = _evaluate(data, tmp_path / "b", "--seen", str(data), "--set", "data.seen_splits=train,all_hard")
    assert result.exit_code != 0 and "data.seen_splits ['all_hard']" in result.output


def test_seen_data_of_another_source_is_found_by_its_text(tmp_path):
    """A dump of r/AskAcademia, and SHP rows of four of its threads (another layout, another
    prompt format: SHP's history is title and body in one string): evaluating on the dump with
    the SHP build as --seen leaves out exactly those four threads' pairs."""
    from rmbench.prepare import prepare

    t0, posts, comments, shp = 1_500_000_000, [], [], []
    for sub in ("AskAcademia", "GradSchool"):
        for i in range(60):  # enough posts that the hash split gives each task some test posts
            pid = f"{sub[:3].lower()}{i}"
            title = f"How should a {sub} student number {i} plan the second year of a doctorate?"
            body = f"I am asking for thread {pid}: my advisor left, funding is unclear, and I need a plan."
            posts.append({"id": pid, "subreddit": sub, "title": title, "selftext": body, "is_self": True,
                          "author": "op", "created_utc": t0, "score": 40})
            replies = [(f"{pid}c{k}", 2 * 3 ** k, t0 + 600 * (k + 1),
                        f"Reply {k} to {pid}: talk to the graduate director first, then write every option down.")
                       for k in range(4)]
            comments += [{"id": c, "link_id": f"t3_{pid}", "parent_id": f"t3_{pid}", "subreddit": sub, "body": text,
                          "author": f"u{c}", "created_utc": t, "score": sc} for c, sc, t, text in replies]
            if sub == "AskAcademia" and i < 4:  # what SHP holds of this thread: one row per pair of replies
                for (a, sa, ta, ha), (b, sb, tb, hb) in zip(replies, replies[1:]):
                    shp.append({"post_id": pid, "domain": "askacademia_train", "upvote_ratio": 0.9,
                                "history": f"{title} {body}", "c_root_id_A": a, "c_root_id_B": b,
                                "created_at_utc_A": ta, "created_at_utc_B": tb, "score_A": sa, "score_B": sb,
                                "human_ref_A": ha, "human_ref_B": hb, "labels": int(sa > sb),
                                "seconds_difference": float(abs(ta - tb)), "score_ratio": max(sa, sb) / min(sa, sb)})
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    for name, rows in (("submissions", posts), ("comments", comments)):
        for sub in ("AskAcademia", "GradSchool"):
            (dumps / f"{sub}_{name}.ndjson").write_text(
                "".join(json.dumps(r) + "\n" for r in rows if r["subreddit"] == sub))
    (tmp_path / "SHP" / "askacademia").mkdir(parents=True)
    (tmp_path / "SHP" / "askacademia" / "train.json").write_text("".join(json.dumps(r) + "\n" for r in shp))
    prepare(str(dumps), tmp_path / "data", workers=1, progress=False)
    prepare(str(tmp_path / "SHP"), tmp_path / "shp", workers=1, progress=False, split_by="source")
    result = _evaluate(tmp_path / "data", tmp_path / "ev", "--seen", str(tmp_path / "shp"),
                       "--set", "eval.min_fit_pairs=5", "--set", "eval.min_fit_posts=2")
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "ev" / "results.json").read_text())
    kept = {r["pair_id"].split(":")[0] for r in map(json.loads, (tmp_path / "ev" / "predictions.jsonl").read_text()
                                                   .splitlines()) if r["split"] == "heldout_all"}
    assert kept == {f"ask{i}" for i in range(4, 60)}
    block = doc["contamination"]["askacademia"]
    assert block["by_reason"] and block["pairs"]["heldout_all"] == sum(block["by_reason"].values()) > 0


def test_split_by_and_seen_take_a_source_prepared_into_the_cache(tmp_path, write_shp_layout):
    """The SteamSHP line: --data and --seen both SHP's files, --split-by source: only SHP's test
    posts are left to score, and --seen is SHP's own train and validation, built once in the cache."""
    import re

    shp = write_shp_layout(tmp_path / "SHP", {"askculinary": 30, "askacademia": 30})
    cache = tmp_path / "cache"
    result = _evaluate(shp, tmp_path / "ev", "--split-by", "source", "--seen", str(shp), "--cache-dir", str(cache))
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "ev" / "results.json").read_text())
    assert doc["data"]["split_by"]["rule"] == "source"
    builds = sorted(cache.glob("prepared-*"))
    assert [b.name.endswith("-source") for b in builds] == [True]  # one build, for --data and --seen both
    seen = doc["contamination"]["askacademia"]["seen"][0]
    assert seen["data"] == str(shp) and seen["fingerprint"] == json.loads((builds[0] / "manifest.json").read_text())["fingerprint"]
    kept = {r["pair_id"].split(":")[0] for r in map(json.loads, (tmp_path / "ev" / "predictions.jsonl").read_text()
                                                   .splitlines()) if r["split"] == "heldout_all"}
    assert kept and all(int(re.search(r"\d+$", pid).group()) % 3 == 2 for pid in kept)  # SHP's test posts only
    # a prepared folder keeps its split: naming another one is an error, not a silent mismatch
    hashed = tmp_path / "hashed"
    from rmbench.prepare import prepare

    prepare(str(shp), hashed, workers=1, progress=False)
    result = _evaluate(hashed, tmp_path / "ev2", "--split-by", "source")
    assert result.exit_code != 0 and "prepared with --split-by hash, not source" in result.output
