"""``rmbench prepare`` on the real Reddit dumps (../shared/data/reddit-dumps), then every
output row re-checked against the source records with the task's own rule methods."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from click.testing import CliRunner

from rmbench.cli import main
from rmbench.prepared.load import load_prepared
from rmbench.prepared.manifest import read_manifest
from rmbench.prepare.dedup import identifying, normalize_text
from rmbench.prepare.pair import prompt_of
from rmbench.prepare.surface import surface_key
from rmbench.registry import get_task
from rmbench.sources import open_source
from rmbench.prepare.splits import ALL_SPLITS, fingerprint, split_of

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def prepared(shared_dumps, tmp_path_factory):
    out = tmp_path_factory.mktemp("real") / "prepared"
    res = CliRunner(env={"COLUMNS": "250"}).invoke(
        main, ["prepare", "--source", str(shared_dumps), "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    manifest = read_manifest(out)
    rows = {t: {s: [json.loads(x) for x in (out / t / f"{s}.jsonl").read_text(encoding="utf-8").splitlines()]
                for s in ALL_SPLITS} for t in manifest["tasks"]}
    return out, manifest, rows


@pytest.fixture(scope="module")
def records(shared_dumps, prepared):
    """The source posts and comments that the output refers to (one more streaming pass)."""
    _, _, rows = prepared
    want_posts, want_comments = set(), set()
    for splits in rows.values():
        for rs in splits.values():
            for r in rs:
                want_posts.add(r["post_id"])
                want_comments.update((r["chosen_id"], r["rejected_id"]))
    src = open_source(str(shared_dumps))
    posts = {p.id: p for p in src.iter_posts() if p.id in want_posts}
    comments = {c.id: c for c in src.iter_comments() if c.id in want_comments}
    return posts, comments


def test_every_task_of_the_dumps_was_built(prepared):
    _, manifest, _ = prepared
    assert set(manifest["tasks"]) == {"askacademia", "gradschool", "collegemajors", "emory"}
    assert manifest["source"]["synthetic"] is False and len(manifest["source"]["files"]) == 8
    assert all(f["sha256"] and f["bytes"] > 0 for f in manifest["source"]["files"].values())


def test_every_kept_pair_obeys_every_rule(prepared, records):
    _, _, rows = prepared
    posts, comments = records
    checked = 0
    for name, splits in rows.items():
        task = get_task(name)
        for split, rs in splits.items():
            for r in rs:
                post, chosen, rejected = posts[r["post_id"]], comments[r["chosen_id"]], comments[r["rejected_id"]]
                assert task.post_drop_reason(post) is None
                assert task.comment_drop_reason(chosen, post) is None, r["pair_id"]
                assert task.comment_drop_reason(rejected, post) is None, r["pair_id"]
                assert chosen.post_id == rejected.post_id == post.id and chosen.top_level and rejected.top_level
                assert chosen.score > rejected.score
                assert task.pair_drop_reason(chosen, rejected, post) is None
                # the thresholds themselves, not only the methods
                assert chosen.score >= task.min_score_ratio * rejected.score
                assert chosen.created_utc > rejected.created_utc and r["time_gap_s"] > 0
                assert min(chosen.score, rejected.score) >= task.min_comment_score
                assert post.score is None or post.score >= task.min_post_score
                assert task.min_response_chars <= len(r["chosen"]) <= task.max_response_chars
                # the row says what the records say
                assert r["pair_id"] == f"{post.id}:{chosen.id}:{rejected.id}" and r["task"] == name
                assert (r["chosen"], r["rejected"], r["prompt"]) == (chosen.body, rejected.body, prompt_of(post))
                # the dumps say when each score was read (retrieved_on): the age is that minus the response time
                assert chosen.retrieved_utc is not None and rejected.retrieved_utc is not None
                assert r["chosen_score_age_s"] == chosen.retrieved_utc - chosen.created_utc >= 0
                assert r["rejected_score_age_s"] == rejected.retrieved_utc - rejected.created_utc >= 0
                assert r["chosen_delay_s"] == chosen.created_utc - post.created_utc
                assert r["rejected_delay_s"] == rejected.created_utc - post.created_utc
                assert r["score_ratio"] == pytest.approx(chosen.score / rejected.score)
                assert r["length_ratio"] == pytest.approx(len(chosen.body) / len(rejected.body))
                assert r["synthetic"] is False
                assert surface_key(r["chosen"]) != surface_key(r["rejected"]), r["pair_id"]  # can be told apart
                if split == "test_hard":
                    assert task.is_hard(chosen, rejected)
                    a, b = len(chosen.body), len(rejected.body)
                    assert max(a, b) / min(a, b) <= task.hard_max_length_ratio
                    assert abs(r["time_gap_s"]) <= task.hard_max_time_gap_s
                checked += 1
    assert checked > 1000  # the dumps hold thousands of pairs; none may slip through unchecked


def test_splits_are_disjoint_and_capped(prepared):
    _, manifest, rows = prepared
    for name, splits in rows.items():
        task = get_task(name)
        owner: dict[str, str] = {}
        for split in ("train", "validation", "test"):
            per_post = defaultdict(int)
            for r in splits[split]:
                assert owner.setdefault(r["post_id"], split) == split, f"post {r['post_id']} in two splits"
                assert split_of(r["post_id"]) == split
                per_post[r["post_id"]] += 1
            assert max(per_post.values(), default=0) <= task.max_pairs_per_post
        assert all(split_of(r["post_id"]) == "test" for r in splits["test_hard"])
        for hard in ("all_hard", "test_hard"):  # the hard splits have their own per-post cap
            per_post = defaultdict(int)
            for r in splits[hard]:
                per_post[r["post_id"]] += 1
            assert max(per_post.values(), default=0) <= task.max_hard_pairs_per_post
        hard_ids = {r["pair_id"] for r in splits["test_hard"]}
        # test_hard comes from every candidate, before the cap: each hard test pair is in it
        for r in splits["test"]:
            a, b = len(r["chosen"]), len(r["rejected"])
            if max(a, b) / min(a, b) <= task.hard_max_length_ratio and abs(r["time_gap_s"]) <= task.hard_max_time_gap_s:
                assert r["pair_id"] in hard_ids


def test_counts_and_fingerprints_match_the_manifest(prepared):
    out, manifest, rows = prepared
    for name, t in manifest["tasks"].items():
        for split in ALL_SPLITS:
            ids = [r["pair_id"] for r in rows[name][split]]
            assert ids == sorted(ids) and len(set(ids)) == len(ids)
            assert t["splits"][split]["pairs"] == len(ids)
            assert t["splits"][split]["fingerprint"] == fingerprint(ids)
        assert t["pairs"]["kept"] == sum(len(rows[name][s]) for s in ("train", "validation", "test"))
        # every kept pair's score ages are known here; the young ones are those the rows say
        young = sum(min(r["chosen_score_age_s"], r["rejected_score_age_s"]) < t["score_age"]["young_s"]
                    for s in ("train", "validation", "test") for r in rows[name][s])
        assert t["score_age"]["pairs_known"] == t["pairs"]["kept"] and t["score_age"]["pairs_young"] == young
        assert t["pairs"]["candidates"] == t["pairs"]["kept"] + t["pairs"]["capped"] + sum(t["pairs"]["dropped"].values())
        c = t["comments"]
        assert c["seen"] == c["kept"] + sum(c["dropped"].values()) + c["orphans"]
        assert t["posts"]["seen"] == t["posts"]["kept"] + sum(t["posts"]["dropped"].values())
        assert t["test_hard"]["pairs"] == len(rows[name]["test_hard"])
        cap = t["hard_cap"]  # the hard candidates before the cap are kept in the manifest
        assert cap["candidates"] - cap["capped"] == len(rows[name]["all_hard"]) and cap["max_per_post"] == 10
        assert t["test_hard"]["small"] == (len(rows[name]["test_hard"]) < get_task(name).hard_min_pairs)
    # every comment of the dumps is accounted for in exactly one task
    assert sum(t["comments"]["seen"] for t in manifest["tasks"].values()) == manifest["source"]["records"]["comments"]
    assert sum(t["posts"]["seen"] for t in manifest["tasks"].values()) == manifest["source"]["records"]["posts"]
    dd = load_prepared(out, "gradschool")
    assert dd["train"].num_rows == manifest["tasks"]["gradschool"]["splits"]["train"]["pairs"]


def test_cross_task_flags_match_the_texts(prepared):
    _, manifest, rows = prepared
    # only texts long enough to identify anything are compared (short replies never match)
    texts = {name: {t for rs in splits.values() for r in rs for k in ("chosen", "rejected")
                    if identifying(t := normalize_text(r[k]))} for name, splits in rows.items()}
    for name, splits in rows.items():
        others = set().union(*(texts[o] for o in texts if o != name))
        flagged = set()
        for rs in splits.values():
            for r in rs:
                expect = normalize_text(r["chosen"]) in others or normalize_text(r["rejected"]) in others
                assert r["cross_task_dup"] == expect, r["pair_id"]
                if expect:
                    flagged.add(r["pair_id"])
        assert manifest["tasks"][name]["cross_task_dups"] == len(flagged)


def test_one_process_gives_the_same_bytes(prepared, shared_dumps, tmp_path):
    """The CLI run above used one worker per subreddit (when the machine has 2+ CPUs);
    one process must give byte-identical splits and the same manifest."""
    from rmbench.prepare import prepare

    out, manifest, _ = prepared
    serial = prepare(str(shared_dumps), tmp_path / "serial", workers=1, progress=False)
    assert serial == manifest
    for name in manifest["tasks"]:
        for split in ALL_SPLITS:
            assert (tmp_path / "serial" / name / f"{split}.jsonl").read_bytes() == \
                (out / name / f"{split}.jsonl").read_bytes()


def test_load_dataset_gives_the_manifests_splits_and_counts(prepared, tmp_path):
    import datasets

    out, manifest, rows = prepared
    for task in ("gradschool", "askacademia"):
        ds = datasets.load_dataset(str(out), task, cache_dir=str(tmp_path / "hf"))
        want = {s: v["pairs"] for s, v in manifest["tasks"][task]["splits"].items() if v["pairs"]}
        assert {s: ds[s].num_rows for s in ds} == want and set(want) >= {"train", "test", "test_hard"}
        assert all(ds[s]["pair_id"] == [r["pair_id"] for r in rows[task][s]] for s in ds)
    card = (out / "README.md").read_text(encoding="utf-8")
    assert all(f["sha256"] in card for f in manifest["source"]["files"].values())
