"""--data resolution and caching, even sampling across tasks, and the empty-split message."""

from __future__ import annotations

import json

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

    def fake_prepare(source, out, tasks=None, overwrite=False, progress=True):
        calls.append(source)
        write_prepared(out)

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
