"""--data resolution and caching, even sampling across tasks, and the empty-split message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rmbench.errors import DataError
from rmbench.prepared import resolve
from rmbench.prepared.load import sample_across
from rmbench.prepared.manifest import Prepared
from rmbench.prepared.resolve import resolve_data


def test_prepared_directory_is_used_as_is(tmp_path, write_prepared):
    data = write_prepared(tmp_path / "d")
    assert resolve_data(str(data)) == data


def test_demo_is_prepared_once_then_reused(tmp_path, monkeypatch, write_prepared):
    calls = []

    def fake_prepare(source, out, tasks=None, overwrite=False, progress=True, split_by="hash"):
        calls.append(source)  # every task that reads a demo subreddit, as prepare builds
        write_prepared(out, {t: {"train": 4, "validation": 2, "test": 2} for t in DEMO_TASKS})

    monkeypatch.setattr("rmbench.prepare.prepare", fake_prepare)
    first = resolve_data("demo", tmp_path / "cache", progress=False)
    again = resolve_data("demo", tmp_path / "cache", progress=False)
    assert first == again and calls == ["demo"]
    # a manifest from another rmbench version is rebuilt
    m = json.loads((first / "manifest.json").read_text())
    m["rmbench_version"] = "0.0.1"
    (first / "manifest.json").write_text(json.dumps(m))
    resolve_data("demo", tmp_path / "cache", progress=False)
    assert calls == ["demo", "demo"]
    # so is one from before prepare recorded its revision (its score ages were all null)
    m = json.loads((first / "manifest.json").read_text())
    assert m.pop("prepare_revision") == 2
    (first / "manifest.json").write_text(json.dumps(m))
    resolve_data("demo", tmp_path / "cache", progress=False)
    resolve_data("demo", tmp_path / "cache", progress=False)
    assert calls == ["demo", "demo", "demo"]
    # a build from before dataset cards existed is rebuilt, and so gets its card
    (first / "README.md").unlink()
    resolve_data("demo", tmp_path / "cache", progress=False)
    assert calls == ["demo", "demo", "demo", "demo"] and (first / "README.md").is_file()


DEMO_TASKS = ("writingprompts", "askacademia", "gradschool", "explainlikeimfive", "askculinary", "askscience")


def test_unknown_data_source_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="not 'demo'"):
        resolve_data(str(tmp_path / "nowhere"))


def test_sample_across_gives_each_task_an_even_share(tmp_path, write_prepared):
    a, b, c = "emory", "askacademia", "gradschool"
    sizes = {a: {"train": 10}, b: {"train": 100}, c: {"train": 100}}
    data = write_prepared(tmp_path / "d", sizes)
    rows = sample_across(data, [a, b, c], "train", 70, seed=0)
    per = {t: sum(r["task"] == t for r in rows) for t in (a, b, c)}
    assert per == {a: 10, b: 30, c: 30}  # a's unused share goes to the others
    assert rows == sample_across(data, [a, b, c], "train", 70, seed=0)
    assert len(sample_across(data, [a, b], "train", 0, seed=0)) == 110


def test_empty_split_error_names_the_rules_that_dropped_most(tmp_path, write_prepared):
    data = write_prepared(tmp_path / "d", dropped={"posts": {"post_score_low": 2},
                                                   "pairs": {"score_ratio_low": 12, "preferred_not_later": 9,
                                                             "too_close": 0}})
    err = Prepared.open(data).empty_split_error("writingprompts", "test")
    msg = str(err)
    assert isinstance(err, DataError)
    assert "writingprompts" in msg and "'test'" in msg
    assert "score_ratio_low=12" in msg and "preferred_not_later=9" in msg and "post_score_low=2" in msg
    assert msg.index("score_ratio_low=12") < msg.index("preferred_not_later=9") < msg.index("post_score_low=2")
    assert "too_close" not in msg  # a rule that dropped nothing is not named


def test_cache_key_is_readable_and_unique(tmp_path):
    assert resolve.cache_key("demo").startswith("demo-g")
    a, b = tmp_path / "x" / "dumps", tmp_path / "y" / "dumps"
    assert resolve.cache_key(str(a)) != resolve.cache_key(str(b))
    assert resolve.cache_key(str(a)).startswith("dumps-")


# -- the cache follows the content of the dumps, not their path (issue 12) -------------------------
def _dump(folder, n_comments: int, extra: str = "") -> None:
    folder.mkdir(exist_ok=True)
    post = {"id": "p1", "subreddit": "Emory", "title": "Which dorm?", "selftext": "x", "created_utc": 1_500_000_000,
            "score": 50, "is_self": True, "author": "op"}
    comments = [{"id": f"c{i}", "link_id": "t3_p1", "parent_id": "t3_p1", "subreddit": "Emory",
                 "body": f"Answer number {i} about dorms, long enough to keep.{extra}", "author": f"u{i}",
                 "created_utc": 1_500_000_100 + i, "score": 3 * 2 ** i} for i in range(n_comments)]
    (folder / "Emory_submissions.ndjson").write_text(json.dumps(post) + "\n")
    (folder / "Emory_comments.ndjson").write_text("".join(json.dumps(c) + "\n" for c in comments))


def test_changed_dumps_are_prepared_again_and_unchanged_ones_reused(tmp_path, monkeypatch):
    import os

    import rmbench.prepare as prepare_pkg

    calls = []
    real = prepare_pkg.prepare
    monkeypatch.setattr(prepare_pkg, "prepare", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    dumps, cache = tmp_path / "dumps", tmp_path / "cache"
    _dump(dumps, 6)

    def pairs(d):
        m = Prepared.open(d)
        return sum(m.pairs("emory", s) for s in ("train", "validation", "test"))

    first = resolve_data(str(dumps), cache, progress=False)
    before = pairs(first)
    card = (first / "README.md").read_text()  # the cached build is a dataset too, its inputs hashed
    assert all(f"`{Path(p).name}` | {f['bytes']:,} | `{f['sha256']}`" in card
               for p, f in Prepared.open(first).doc["source"]["files"].items())
    assert resolve_data(str(dumps), cache, progress=False) == first and len(calls) == 1  # unchanged: reused
    comments = dumps / "Emory_comments.ndjson"
    stat = os.stat(comments)
    os.utime(comments, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # touched, same bytes: reused
    assert resolve_data(str(dumps), cache, progress=False) == first and len(calls) == 1
    _dump(dumps, 3)  # half the comments removed
    again = resolve_data(str(dumps), cache, progress=False)
    assert len(calls) == 2 and pairs(again) < before
    _dump(dumps, 3, extra="!")  # same count, other bytes
    os.utime(comments, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # even with the old mtime, the size differs
    resolve_data(str(dumps), cache, progress=False)
    assert len(calls) == 3
    (dumps / "Emory_comments_2.ndjson").write_text("")  # a file added
    resolve_data(str(dumps), cache, progress=False)
    assert len(calls) == 4


def test_a_dump_no_task_reads_is_recorded_by_size_never_read(tmp_path, monkeypatch):
    """A file in the folder that no registered task pairs (a torrent folder holds thousands)
    is never opened: the manifest records its size with ``read: false``, not a sha256 that
    would cost reading it whole; an unchanged one lets the cache be reused, a touched one,
    never hashed, makes it build again."""
    import os

    import rmbench.prepare as prepare_pkg
    from rmbench.sources import dumps as dumps_mod

    calls, hashed = [], []
    real, real_hash = prepare_pkg.prepare, dumps_mod.sha256_file
    monkeypatch.setattr(prepare_pkg, "prepare", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    monkeypatch.setattr(dumps_mod, "sha256_file", lambda p: hashed.append(p) or real_hash(p))
    folder, cache = tmp_path / "dumps", tmp_path / "cache"
    _dump(folder, 4)
    other = folder / "SomeOtherSub_comments.ndjson"
    other.write_text('{"id": "x"}\n' * 1000)
    first = resolve_data(str(folder), cache, progress=False)
    files = Prepared.open(first).doc["source"]["files"]
    assert files[str(other)] == {"sha256": None, "bytes": other.stat().st_size, "read": False}
    assert all(f["sha256"] for p, f in files.items() if p != str(other)) and hashed == []
    assert "not read" in (first / "README.md").read_text()
    assert resolve_data(str(folder), cache, progress=False) == first and len(calls) == 1
    stat = os.stat(other)
    os.utime(other, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    resolve_data(str(folder), cache, progress=False)
    assert len(calls) == 2 and hashed == []


def test_a_plugin_task_installed_since_reading_the_source_is_prepared_in(tmp_path, monkeypatch):
    """A cached build made before a plugin task for one of the source's subreddits was
    installed is built again, so ``--tasks <plugin task>`` finds it; then it is reused."""
    from dataclasses import dataclass

    import rmbench.prepare as prepare_pkg
    import rmbench.registry as registry
    from rmbench.task import RedditTask

    calls = []
    real = prepare_pkg.prepare
    monkeypatch.setattr(prepare_pkg, "prepare", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    dumps, cache = tmp_path / "dumps", tmp_path / "cache"
    _dump(dumps, 6)
    first = resolve_data(str(dumps), cache, progress=False)
    assert Prepared.open(first).tasks == ["emory"]
    registry.all_tasks()
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))  # as an installed plugin, undone after

    @registry.register
    @dataclass(frozen=True)
    class EmoryDorms(RedditTask):
        name: str = "emorydorms"
        subreddits: tuple[str, ...] = ("Emory",)

    again = resolve_data(str(dumps), cache, progress=False)
    assert len(calls) == 2 and Prepared.open(again).tasks == ["emory", "emorydorms"]
    assert resolve_data(str(dumps), cache, progress=False) == again and len(calls) == 2  # now reused


def test_a_path_with_a_plus_in_its_name_is_one_source(tmp_path, monkeypatch):
    """``--data "d + x"`` for a folder of that name is that folder, as ``prepare --source`` reads
    it; ' + ' still joins sources that are not one existing path."""
    dumps = tmp_path / "d + x"
    _dump(dumps, 4)
    assert resolve.split_sources(str(dumps)) == [str(dumps)]
    assert resolve.split_sources(f"demo + {dumps} + hf:a/b") == ["demo", str(dumps), "hf:a/b"]
    assert resolve.split_sources(f"{tmp_path / 'e'} + x") == [str(tmp_path / "e"), "x"]  # no such folder: two
    assert resolve.cache_key(str(dumps)).startswith("d + x-")
    built = Prepared.open(resolve_data(str(dumps), tmp_path / "cache", progress=False))
    assert built.tasks == ["emory"] and sum(built.pairs("emory", s) for s in ("train", "validation", "test")) > 0
    assert all(p.startswith(str(dumps)) for p in built.doc["source"]["files"])
