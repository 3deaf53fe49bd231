"""``prepare`` end to end on small in-test sources: layout, bookkeeping, atomic output,
reproducibility, cross-task dedup, and the ``prepare``/``export`` commands."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from rmbench.cli import main
from rmbench.prepared.export import export_jsonl
from rmbench.prepared.load import load_prepared
from rmbench.prepared.manifest import read_manifest
from rmbench.prepare.write import manifest_fingerprint
from rmbench.prepare import prepare
from rmbench.records import Comment, Post
from rmbench.errors import OutputExistsError, SourceError, UnknownTaskError
from rmbench.sources.base import Source
from rmbench.prepare.splits import ALL_SPLITS, fingerprint, split_of

T0 = 1_500_000_000


def thread(pid: str, sub: str, n: int = 4, shared_text: str | None = None) -> tuple[Post, list[Comment]]:
    """A post whose comments all pair: each later comment scores 3x the previous one."""
    post = Post(id=pid, subreddit=sub, title=f"Question {pid}?", selftext="details", created_utc=T0, author="op",
                score=40, is_self=True, over_18=False, edited=False)
    comments = [Comment(id=f"{pid}c{i}", post_id=pid, parent_id=f"t3_{pid}", subreddit=sub,
                        body=shared_text if (shared_text and i == 0) else f"Answer {i} to {pid}, in {sub}.",
                        created_utc=T0 + 60 * (i + 1), author=f"u{i}", score=2 * 3 ** i, edited=False)
                for i in range(n)]
    return post, comments


class ListSource(Source):
    """Posts and comments from lists, optionally raising SourceError after some comments."""

    spec = "in-test"

    def __init__(self, posts, comments, fail_after: int | None = None, subs: set[str] | None = None):
        super().__init__()
        self.posts, self.comments, self.fail_after, self.subs = posts, comments, fail_after, subs
        self.report.add("fake.ndjson", "malformed_json", 3)

    def iter_posts(self) -> Iterator[Post]:
        yield from self.posts

    def iter_comments(self) -> Iterator[Comment]:
        for i, c in enumerate(self.comments):
            if self.fail_after is not None and i == self.fail_after:
                raise SourceError("fake_comments.zst", "truncated zstd frame")
            yield c

    def files(self):
        return {"fake.ndjson": {"sha256": "0" * 64, "bytes": 1}}

    def subreddits(self):
        return self.subs


LONG_SHARED = "Great question: the FAQ in the sidebar covers exactly this case, see its second part."


def corpus(n_posts: int = 60) -> ListSource:
    posts, comments = [], []
    for i in range(n_posts):
        sub = "askscience" if i % 2 else "AskPhysics"
        # posts 1 and 2 share a response long enough to identify (a cross-task duplicate);
        # posts 3 and 4 share a stock reply, which identifies nothing and must not be flagged
        shared = LONG_SHARED if i in (1, 2) else "Great question!" if i in (3, 4) else None
        p, cs = thread(f"p{i:03d}", sub, shared_text=shared)
        posts.append(p)
        comments.extend(cs)
    # an orphan (its post is not in the input) and a post of a subreddit no selected task has
    comments.append(Comment(id="orph", post_id="gone", parent_id="t3_gone", subreddit="askscience", body="hi",
                            created_utc=T0, author="x", score=5))
    other, other_cs = thread("zz1", "CasualConversation")
    posts.append(other)
    comments.extend(other_cs)
    comments.sort(key=lambda c: c.created_utc)  # time order, as dumps are
    return ListSource(posts, comments)


TASKS = ["askscience", "askphysics"]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("prep") / "data"
    return out, prepare(corpus(), out, tasks=TASKS, progress=False)


def test_layout_and_rows(built):
    out, manifest = built
    assert read_manifest(out) == manifest
    assert sorted(p.name for p in out.iterdir()) == [".rmbench-output.json", "README.md", "askphysics", "askscience", "manifest.json"]
    for task in TASKS:
        for split in ALL_SPLITS:
            rows = [json.loads(line) for line in (out / task / f"{split}.jsonl").read_text().splitlines()]
            ids = [r["pair_id"] for r in rows]
            assert ids == sorted(ids) and len(set(ids)) == len(ids)
            assert all(r["task"] == task and r["split"] == split for r in rows)
            if split != "all_hard":  # the hard pairs of every post, whatever its split
                assert all(split_of(r["post_id"]) == (split if split != "test_hard" else "test") for r in rows)
            info = manifest["tasks"][task]["splits"][split]
            assert info["pairs"] == len(rows) and info["fingerprint"] == fingerprint(ids)
            assert info["posts"] == len({r["post_id"] for r in rows})


def test_counts_add_up(built):
    _, manifest = built
    for name, t in manifest["tasks"].items():
        assert t["posts"]["seen"] == t["posts"]["kept"] + sum(t["posts"]["dropped"].values())
        c = t["comments"]
        assert c["seen"] == c["kept"] + sum(c["dropped"].values()) + c["orphans"]
        p = t["pairs"]
        assert p["candidates"] == p["kept"] + p["capped"] + sum(p["dropped"].values())
        assert p["kept"] == sum(t["splits"][s]["pairs"] for s in ("train", "validation", "test"))
        assert t["posts"]["seen"] == 30 and p["candidates"] == 30 * 6  # 4 comments -> 6 candidates per post
        assert p["capped"] == 30  # 6 valid pairs per post, cap 5
    assert manifest["tasks"]["askscience"]["comments"]["orphans"] == 1
    assert manifest["tasks"]["askphysics"]["comments"]["orphans"] == 0
    assert manifest["source"]["records"]["other_subreddits"] == {"posts": 1, "comments": 4}
    assert manifest["bad_input"] == {"fake.ndjson": {"malformed_json": {"count": 1, "first_lines": [3], "input": "skipped"}}}
    assert manifest["fingerprint"] == manifest_fingerprint(manifest["tasks"])
    assert manifest["tasks"]["askscience"]["rules"]["max_pairs_per_post"] == 5


def test_cross_task_duplicates_flagged(built):
    out, manifest = built
    flagged = {}
    for task in TASKS:
        for split in ALL_SPLITS:
            for line in (out / task / f"{split}.jsonl").read_text().splitlines():
                r = json.loads(line)
                dup_text = LONG_SHARED in (r["chosen"], r["rejected"])
                assert r["cross_task_dup"] == dup_text
                flagged.setdefault(task, set()).update([r["pair_id"]] if dup_text else [])
    for task in TASKS:
        assert manifest["tasks"][task]["cross_task_dups"] == len(flagged[task])


def test_rerun_is_byte_identical(built, tmp_path):
    out, manifest = built
    again = prepare(corpus(), tmp_path / "again", tasks=TASKS, progress=False)
    assert again["fingerprint"] == manifest["fingerprint"]
    for task in TASKS:
        for split in ALL_SPLITS:
            assert (tmp_path / "again" / task / f"{split}.jsonl").read_bytes() == (out / task / f"{split}.jsonl").read_bytes()


def test_load_prepared_and_export(built, tmp_path):
    out, manifest = built
    dd = load_prepared(out, "AskScience")
    assert set(dd) == set(ALL_SPLITS)
    assert dd["train"].num_rows == manifest["tasks"]["askscience"]["splits"]["train"]["pairs"]
    assert all(dd[s].column_names == dd["train"].column_names for s in dd)
    with pytest.raises(UnknownTaskError, match="Did you mean askscience"):
        load_prepared(out, "askscienc")
    counts = export_jsonl(out, tmp_path / "exp", tasks=["askscience"], splits=["train"])
    rows = [json.loads(x) for x in (tmp_path / "exp" / "askscience" / "train.jsonl").read_text().splitlines()]
    assert len(rows) == counts["askscience"]["train"] == dd["train"].num_rows
    assert set(rows[0]) == {"prompt", "chosen", "rejected", "pair_id"}


@pytest.mark.slow  # imports TRL (and with it torch and transformers)
def test_export_is_read_by_trl_and_datasets(built, tmp_path):
    """The exported columns are TRL's explicit-prompt preference format."""
    from datasets import load_dataset
    from trl.data_utils import is_conversational

    out, _ = built
    export_jsonl(out, tmp_path / "exp")
    ds = load_dataset("json", data_files=str(tmp_path / "exp" / "askphysics" / "train.jsonl"), split="train",
                      cache_dir=str(tmp_path / "cache"))
    assert {"prompt", "chosen", "rejected"} <= set(ds.column_names)
    assert not is_conversational(ds[0]) and ds[0]["prompt"].endswith("\n\n")


def test_source_error_leaves_nothing(tmp_path):
    src = corpus()
    src.fail_after = 50
    with pytest.raises(SourceError, match="fake_comments.zst"):
        prepare(src, tmp_path / "out", tasks=TASKS, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_existing_output_needs_overwrite(built, tmp_path):
    # A directory prepare did not write is never replaced, not even with overwrite.
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "stale.txt").write_text("old")
    with pytest.raises(FileExistsError, match="--overwrite"):
        prepare(corpus(), foreign, tasks=TASKS, progress=False)
    with pytest.raises(OutputExistsError, match="refusing to replace"):
        prepare(corpus(), foreign, tasks=TASKS, overwrite=True, progress=False)
    assert sorted(p.name for p in foreign.iterdir()) == ["stale.txt"]
    # Its own output is replaced with overwrite, and only by a build that finished.
    out = tmp_path / "out"
    prepare(corpus(), out, tasks=TASKS, progress=False)
    (out / "stale.txt").write_text("old")
    with pytest.raises(FileExistsError):
        prepare(corpus(), out, tasks=TASKS, progress=False)
    with pytest.raises(OutputExistsError, match=r"did not write \(stale.txt\)"):  # a file the user added
        prepare(corpus(), out, tasks=TASKS, overwrite=True, progress=False)
    (out / "stale.txt").unlink()
    (out / "manifest.json").write_text((out / "manifest.json").read_text() + " ")  # marks this build's output
    src = corpus()
    src.fail_after = 10
    with pytest.raises(SourceError):
        prepare(src, out, tasks=TASKS, overwrite=True, progress=False)
    assert (out / "manifest.json").read_text().endswith(" ")  # a failed rebuild keeps the old output
    prepare(corpus(), out, tasks=TASKS, overwrite=True, progress=False)
    assert not (out / "manifest.json").read_text().endswith(" ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foreign", "out"]  # no temp or old folders left


def test_unknown_task(tmp_path):
    with pytest.raises(UnknownTaskError, match="Did you mean askscience"):
        prepare(corpus(), tmp_path / "out", tasks=["askscince"], progress=False)
    assert list(tmp_path.iterdir()) == []


def test_default_tasks_follow_the_source_subreddits(tmp_path):
    src = corpus(6)
    src.subs = {"AskScience"}
    manifest = prepare(src, tmp_path / "out", progress=False)
    assert list(manifest["tasks"]) == ["askscience"]


# -- the commands, on tiny dump files through the real dump source ------------------------------
def _age(comment_id: str) -> int:
    """The seconds between a test dump's comment and its score snapshot (``retrieved_on``)."""
    return 3_600 * (1 + sum(map(ord, comment_id)) % 50)


def _write_dump(folder: Path, sub: str, n_posts: int) -> None:
    folder.mkdir(exist_ok=True)
    posts, comments = [], []
    for i in range(n_posts):
        p, cs = thread(f"{sub.lower()[:6]}{i:03d}", sub)  # ids are global on Reddit: unique per sub here
        posts.append({"id": p.id, "subreddit": sub, "title": p.title, "selftext": p.selftext, "is_self": True,
                      "author": "op", "created_utc": p.created_utc, "score": p.score, "over_18": False})
        comments += [{"id": c.id, "link_id": f"t3_{p.id}", "parent_id": c.parent_id, "subreddit": sub,
                      "body": c.body, "author": c.author, "created_utc": c.created_utc, "score": c.score,
                      "retrieved_on": c.created_utc + _age(c.id)}
                     for c in cs]
    (folder / f"{sub}_submissions.ndjson").write_text("".join(json.dumps(x) + "\n" for x in posts) + "{broken\n")
    (folder / f"{sub}_comments.ndjson").write_text("".join(json.dumps(x) + "\n" for x in comments))


def test_prepare_and_export_commands(tmp_path):
    _write_dump(tmp_path / "dumps", "askscience", 40)
    runner = CliRunner(env={"COLUMNS": "250"})
    res = runner.invoke(main, ["prepare", "--source", str(tmp_path / "dumps"), "--out", str(tmp_path / "out"),
                               "--quiet"])
    assert res.exit_code == 0, res.output
    assert "askscience" in res.output and "malformed_json" in res.output and "test_hard" in res.output
    manifest = read_manifest(tmp_path / "out")
    assert list(manifest["tasks"]) == ["askscience"] and manifest["tasks"]["askscience"]["pairs"]["kept"] > 0

    res = runner.invoke(main, ["prepare", "--source", str(tmp_path / "dumps"), "--out", str(tmp_path / "out")])
    assert res.exit_code != 0 and "--overwrite" in res.output
    res = runner.invoke(main, ["prepare", "--source", str(tmp_path / "dumps"), "--out", str(tmp_path / "o2"),
                               "--tasks", "askscince"])
    assert res.exit_code == 2 and "Did you mean askscience" in res.output
    res = runner.invoke(main, ["prepare", "--source", str(tmp_path / "nope"), "--out", str(tmp_path / "o3")])
    assert res.exit_code == 1 and "nope" in res.output
    assert not (tmp_path / "o2").exists() and not (tmp_path / "o3").exists()

    res = runner.invoke(main, ["export", "--data", str(tmp_path / "out"), "--out", str(tmp_path / "exp"),
                               "--splits", "train,test"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (tmp_path / "exp" / "askscience").iterdir()) == ["test.jsonl", "train.jsonl"]
    # EXPORT.json marks the directory as an export: what it came from, and the only kind --overwrite replaces
    assert sorted(p.name for p in (tmp_path / "exp").iterdir()) == [".rmbench-output.json", "EXPORT.json", "askscience"]
    mark = json.loads((tmp_path / "exp" / "EXPORT.json").read_text())
    assert mark["kind"] == "rmbench.export" and mark["manifest_fingerprint"] == manifest["fingerprint"]
    res = runner.invoke(main, ["export", "--data", str(tmp_path / "out"), "--out", str(tmp_path / "exp")])
    assert res.exit_code == 1 and "--overwrite" in res.output
    res = runner.invoke(main, ["export", "--data", str(tmp_path / "out"), "--out", str(tmp_path / "exp"),
                               "--splits", "test", "--overwrite"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (tmp_path / "exp" / "askscience").iterdir()) == ["test.jsonl"]
    # ... and never a directory export did not write, such as the prepared data itself
    res = runner.invoke(main, ["export", "--data", str(tmp_path / "out"), "--out", str(tmp_path / "out"),
                               "--overwrite"])
    assert res.exit_code == 1 and "an input of this command" in res.output
    runner.invoke(main, ["prepare", "--source", str(tmp_path / "dumps"), "--out", str(tmp_path / "out2"), "--quiet"])
    res = runner.invoke(main, ["export", "--data", str(tmp_path / "out"), "--out", str(tmp_path / "out2"),
                               "--overwrite"])
    assert res.exit_code == 1 and "refusing to replace" in res.output and (tmp_path / "out2" / "manifest.json").is_file()
    assert read_manifest(tmp_path / "out") == manifest
    res = runner.invoke(main, ["export", "--data", str(tmp_path / "dumps"), "--out", str(tmp_path / "e2")])
    assert res.exit_code == 1 and "manifest" in res.output


# -- one worker per subreddit gives the same output as one process ------------------------------
def test_parallel_shards_match_serial(tmp_path):
    _write_dump(tmp_path / "dumps", "askscience", 40)
    _write_dump(tmp_path / "dumps", "AskPhysics", 40)
    serial = prepare(str(tmp_path / "dumps"), tmp_path / "serial", progress=False, workers=1)
    parallel = prepare(str(tmp_path / "dumps"), tmp_path / "parallel", progress=False, workers=2)
    assert serial == parallel and set(serial["tasks"]) == {"askscience", "askphysics"}
    assert sum(r["malformed_json"]["count"] for r in parallel["bad_input"].values()) == 2
    for task in serial["tasks"]:
        for split in ALL_SPLITS:
            name = f"{task}/{split}.jsonl"
            assert (tmp_path / "serial" / name).read_bytes() == (tmp_path / "parallel" / name).read_bytes()


def test_workers_hand_back_the_hashes_of_the_files_they_read(tmp_path, monkeypatch):
    """The manifest's sha256 of each input comes from the pass that read it, in a worker too:
    the parent never reads a file again only to hash it (it once did, every file)."""
    import hashlib

    from rmbench.sources import dumps

    _write_dump(tmp_path / "dumps", "askscience", 10)
    _write_dump(tmp_path / "dumps", "AskPhysics", 10)
    hashed = []
    real = dumps.sha256_file
    monkeypatch.setattr(dumps, "sha256_file", lambda p: hashed.append(p) or real(p))
    files = prepare(str(tmp_path / "dumps"), tmp_path / "out", progress=False, workers=2)["source"]["files"]
    assert hashed == [] and len(files) == 4
    assert all(f["sha256"] == hashlib.sha256(Path(p).read_bytes()).hexdigest() for p, f in files.items())
    # a file no task of the build reads is recorded by its size, never read only to be hashed
    one = prepare(str(tmp_path / "dumps"), tmp_path / "one", tasks=["askscience"], progress=False, workers=2)
    physics = {p for p in files if "AskPhysics" in p}
    assert hashed == [] and len(physics) == 2 and {p: f for p, f in one["source"]["files"].items() if p not in physics} \
        == {p: f for p, f in files.items() if p not in physics}
    assert all(one["source"]["files"][p] == {"sha256": None, "bytes": Path(p).stat().st_size, "read": False}
               for p in physics)


def test_score_ages_reach_the_rows_on_every_storage_path(tmp_path, monkeypatch):
    """The dump's score snapshot time (``retrieved_on`` here) survives the thread store
    whether the kept comments stay in memory, spill to sorted runs, or go through workers:
    every row's ages are the snapshot minus the response time. (The store once dropped it,
    and every prepared score age was null.)"""
    from rmbench.prepare import load

    _write_dump(tmp_path / "dumps", "askscience", 30)
    _write_dump(tmp_path / "dumps", "AskPhysics", 30)
    held = prepare(str(tmp_path / "dumps"), tmp_path / "held", progress=False, workers=1)
    parallel = prepare(str(tmp_path / "dumps"), tmp_path / "parallel", progress=False, workers=2)
    monkeypatch.setattr(load, "HOLD_BYTES", 0)  # every kept comment through a run on disk
    spilled = prepare(str(tmp_path / "dumps"), tmp_path / "spilled", progress=False, workers=1)
    assert held == parallel == spilled
    rows = 0
    for task in held["tasks"]:
        for split in ALL_SPLITS:
            name = f"{task}/{split}.jsonl"
            text = (tmp_path / "held" / name).read_bytes()
            assert text == (tmp_path / "spilled" / name).read_bytes() == (tmp_path / "parallel" / name).read_bytes()
            for r in map(json.loads, text.splitlines()):
                assert (r["chosen_score_age_s"], r["rejected_score_age_s"]) == (_age(r["chosen_id"]),
                                                                                _age(r["rejected_id"]))
                rows += 1
    assert rows > 100


def test_a_file_named_for_no_task_is_reported_not_passed_over_in_silence(tmp_path):
    """A comments file whose name reads as another subreddit (``r_askscience_comments``: the
    subreddit "r_askscience") is never opened; the manifest and the summary say so, with the
    name it needs, and the task whose comments it held warns that it read none. A file of a
    registered task left out on purpose (AskPhysics here) is not listed."""
    _write_dump(tmp_path / "dumps", "askscience", 20)
    _write_dump(tmp_path / "dumps", "AskPhysics", 5)
    (tmp_path / "dumps" / "askscience_comments.ndjson").rename(tmp_path / "dumps" / "r_askscience_comments.ndjson")
    res = CliRunner(env={"COLUMNS": "250"}).invoke(main, ["prepare", "--source", str(tmp_path / "dumps"), "--out",
                                                          str(tmp_path / "out"), "--tasks", "askscience", "--quiet"])
    assert res.exit_code == 0, res.output
    manifest = read_manifest(tmp_path / "out")
    unread = manifest["source"]["files_not_read"]
    assert list(unread) == [str(tmp_path / "dumps" / "r_askscience_comments.ndjson")]
    why = unread[next(iter(unread))]
    assert "'r_askscience'" in why and "<Subreddit>_comments.ndjson" in why and why.endswith("Did you mean askscience?")
    assert "not read: " in res.output and "Did you mean askscience?" in " ".join(res.output.split())
    task = manifest["tasks"]["askscience"]
    assert task["posts"]["seen"] == 20 and task["comments"]["seen"] == 0
    assert any("no comments of this task's subreddits" in w for w in task["warnings"])
    (tmp_path / "dumps" / "r_askscience_comments.ndjson").rename(tmp_path / "dumps" / "askscience_comments.ndjson")
    again = prepare(str(tmp_path / "dumps"), tmp_path / "again", tasks=["askscience"], progress=False)
    assert "files_not_read" not in again["source"] and again["tasks"]["askscience"]["pairs"]["kept"] > 0
    assert not any("no comments" in w for w in again["tasks"]["askscience"]["warnings"])
    for k in range(7):  # a torrent folder: thousands of subreddits no task pairs; the summary counts past five
        (tmp_path / "dumps" / f"Zz{k}_comments.ndjson").write_text("{}\n")
    res = CliRunner(env={"COLUMNS": "250"}).invoke(main, ["prepare", "--source", str(tmp_path / "dumps"), "--out",
                                                          str(tmp_path / "many"), "--tasks", "askscience", "--quiet"])
    assert res.exit_code == 0, res.output
    assert res.output.count("not read: /") == 5 and "not read: 2 more files" in res.output
    assert len(read_manifest(tmp_path / "many")["source"]["files_not_read"]) == 7


def test_worker_source_error_leaves_nothing(tmp_path):
    _write_dump(tmp_path / "dumps", "askscience", 10)
    _write_dump(tmp_path / "dumps", "AskPhysics", 10)
    (tmp_path / "dumps" / "AskPhysics_comments.ndjson").unlink()
    (tmp_path / "dumps" / "AskPhysics_comments.zst").write_bytes(b"\x28\xb5\x2f\xfd" + b"garbage" * 50)
    with pytest.raises(SourceError, match="AskPhysics_comments.zst"):
        prepare(str(tmp_path / "dumps"), tmp_path / "out", progress=False, workers=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dumps"]


def test_duplicates_counted_once(tmp_path):
    """A dump re-ingested twice: the extra copies are counted as duplicates, not paired twice."""
    base = corpus(6)
    twice = ListSource(base.posts + base.posts[:1], base.comments + [c for c in base.comments if c.post_id == "p000"])
    once = prepare(corpus(6), tmp_path / "once", tasks=TASKS, progress=False)
    dup = prepare(twice, tmp_path / "twice", tasks=TASKS, progress=False)
    t1, t2 = once["tasks"]["askphysics"], dup["tasks"]["askphysics"]
    assert t2["posts"]["dropped"]["duplicate"] == 1 and t2["comments"]["dropped"]["duplicate"] == 4
    assert t2["splits"] == t1["splits"] and t2["pairs"] == t1["pairs"]


def test_staged_counts_equal_the_one_thread_engine(built, pair_thread):
    """prepare judges comments while loading; pair_thread does it all at once: same counts."""
    from collections import defaultdict

    from rmbench.prepare.pair import TaskStats, count_orphans
    from rmbench.registry import get_task

    _, manifest = built
    src = corpus()
    by_post = defaultdict(list)
    for c in src.comments:
        by_post[c.post_id].append(c)
    posts = {p.id: p for p in src.posts}
    for name in TASKS:
        task, stats = get_task(name), TaskStats()
        for p in posts.values():
            if task.matches(p.subreddit):
                pair_thread(task, p, by_post[p.id], split_of(p.id), stats)
        for pid, cs in by_post.items():
            if pid not in posts:
                count_orphans(stats, sum(task.matches(c.subreddit) for c in cs))
        t = manifest["tasks"][name]
        assert (stats.posts_seen, stats.posts_kept, dict(stats.posts_dropped)) == \
            (t["posts"]["seen"], t["posts"]["kept"], t["posts"]["dropped"])
        assert (stats.comments_seen, stats.comments_kept, dict(stats.comments_dropped), stats.orphans) == \
            (t["comments"]["seen"], t["comments"]["kept"], t["comments"]["dropped"], t["comments"]["orphans"])
        assert (stats.candidates, dict(stats.pairs_dropped), stats.capped, stats.pairs_kept) == \
            (t["pairs"]["candidates"], t["pairs"]["dropped"], t["pairs"]["capped"], t["pairs"]["kept"])


def test_split_by_time_trains_on_nothing_after_the_date(tmp_path):
    """The future window: every post before the date is train/validation, every post from
    it on is test (its hard pairs are test_hard); a post without a time cannot be placed."""
    import datetime as dt

    posts, comments = [], []
    for i in range(80):
        p, cs = thread(f"t{i:03d}", "askscience")
        p.created_utc = T0 + i * 86_400  # one post a day
        for j, c in enumerate(cs):
            c.created_utc = p.created_utc + 60 * (j + 1)
        posts.append(p)
        comments.extend(cs)
    nodate, nd_cs = thread("nodate", "askscience")
    nodate.created_utc = 0  # unknown: delays are null, so the post time is unknown
    posts.append(nodate)
    comments.extend(nd_cs)
    cutoff = T0 + 60 * 86_400
    date = dt.datetime.fromtimestamp(cutoff, dt.timezone.utc).date().isoformat()
    out = tmp_path / "timed"
    manifest = prepare(ListSource(posts, comments), out, tasks=["askscience"], progress=False, split_by=f"time:{date}")
    assert manifest["split_by"]["rule"] == "time" and manifest["split_by"]["date"] == date
    t = manifest["tasks"]["askscience"]
    rows = {s: [json.loads(x) for x in (out / "askscience" / f"{s}.jsonl").read_text().splitlines()] for s in ALL_SPLITS}
    post_time = {p.id: p.created_utc for p in posts}
    for s in ("train", "validation"):
        assert rows[s] and all(post_time[r["post_id"]] < cutoff for r in rows[s])
    assert rows["test"] and all(post_time[r["post_id"]] >= cutoff for r in rows["test"])
    assert all(r["split"] == s for s in ALL_SPLITS for r in rows[s])
    assert {r["post_id"] for r in rows["test_hard"]} <= {r["post_id"] for r in rows["test"]}
    assert {r["pair_id"] for r in rows["test_hard"]} <= {r["pair_id"] for r in rows["all_hard"]}
    assert not any(r["post_id"] == "nodate" for s in ALL_SPLITS for r in rows[s])
    assert t["pairs"]["dropped"]["post_time_unknown"] == 5 == manifest["split_by"]["dropped_time_unknown"]["askscience"]
    p = t["pairs"]
    assert p["candidates"] == p["kept"] + p["capped"] + sum(p["dropped"].values())
    assert p["kept"] == sum(t["splits"][s]["pairs"] for s in ("train", "validation", "test"))
    with pytest.raises(Exception, match="time:YYYY-MM-DD"):
        prepare(ListSource(posts, comments), tmp_path / "bad", tasks=["askscience"], progress=False, split_by="time:soon")
    assert not (tmp_path / "bad").exists()
