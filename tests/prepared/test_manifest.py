"""``Prepared``: a manifest read and validated once, and every question asked of it."""

from __future__ import annotations

import json
import os

import pytest

from rmbench.errors import DataError, NotPreparedError, RmbenchError, UnknownTaskError
from rmbench.prepare.splits import ALL_SPLITS, FingerprintBuilder
from rmbench.prepared.manifest import Prepared, read_manifest

SIZES = {"writingprompts": {"train": 12, "validation": 3, "test": 9, "test_hard": 4},
         "askacademia": {"train": 6, "validation": 0, "test": 5, "test_hard": 0}}


@pytest.fixture
def data(tmp_path, write_prepared):
    return write_prepared(tmp_path / "prep", SIZES, spec="demo:seed=3")


def _rewrite(path, edit):
    """Edit manifest.json in place and move its mtime on, as a rebuild would."""
    file = path / "manifest.json"
    doc = json.loads(file.read_text())
    edit(doc)
    stat = file.stat()
    file.write_text(json.dumps(doc))
    os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_open_answers_from_the_manifest(data):
    d = Prepared.open(data)
    assert d.path == data.resolve() and d.tasks == ["askacademia", "writingprompts"]  # sorted
    assert d.synthetic is True and d.source_spec == "demo:seed=3" and d.fingerprint == d.doc["fingerprint"]
    assert d.pairs("writingprompts", "train") == 12 and d.pairs("WritingPrompts", "test_hard") == 4
    assert d.pairs("askacademia", "validation") == 0
    assert d.posts("writingprompts", "train") == 4  # make_pairs puts three pairs on each post
    assert d.tasks_with("test", "test_hard") == ["writingprompts"]
    assert d.version("writingprompts") == d.doc["tasks"]["writingprompts"]["version"]
    assert read_manifest(data) == d.doc


def test_fingerprints_are_those_of_the_split_files(data):
    d = Prepared.open(data)
    fps = d.fingerprints("writingprompts")
    assert set(fps) == set(ALL_SPLITS)
    for split in ALL_SPLITS:
        path = d.split_path("writingprompts", split)
        assert path == data.resolve() / "writingprompts" / f"{split}.jsonl"
        fp = FingerprintBuilder()
        for line in path.read_text().splitlines():
            fp.add(json.loads(line)["pair_id"])
        assert fps[split] == fp.hexdigest(), split
    assert fps["train"] != fps["test"]


def test_preferred_later_comes_from_the_recorded_rules(data):
    assert Prepared.open(data).preferred_later("writingprompts") is True
    _rewrite(data, lambda doc: doc["tasks"]["askacademia"]["rules"].update(preferred_later=False))
    d = Prepared.open(data)
    assert d.preferred_later("askacademia") is False and d.preferred_later("writingprompts") is True


def test_preferred_later_without_recorded_rules_asks_the_registry(data):
    def edit(doc):
        doc["tasks"]["writingprompts"]["rules"] = {}
        doc["tasks"]["retired-plugin"] = {**doc["tasks"]["askacademia"], "rules": {}}
    _rewrite(data, edit)
    d = Prepared.open(data)
    assert d.preferred_later("writingprompts") is True  # the registered task's rule
    assert d.preferred_later("retired-plugin") is False  # its plugin is gone: only the manifest is left


def test_key_is_case_insensitive_and_an_unknown_task_suggests(data):
    d = Prepared.open(data)
    assert d.key("WritingPrompts") == "writingprompts"
    with pytest.raises(UnknownTaskError, match="Did you mean writingprompts") as err:
        d.pairs("writingprompt", "test")
    assert isinstance(err.value, RmbenchError) and isinstance(err.value, KeyError)
    assert "'writingprompt'" in str(err.value)
    with pytest.raises(UnknownTaskError) as err:
        d.key("emory")  # registered, but not in this data
    assert "Did you mean" not in str(err.value) and "`rmbench tasks`" not in str(err.value)  # it lists all 24
    assert f"(the prepared data holds 2 tasks: {', '.join(d.tasks)})" in str(err.value)


def test_open_is_cached_until_the_manifest_changes(data):
    first = Prepared.open(data)
    assert Prepared.open(str(data)) is first and Prepared.open(data / "." ) is first
    _rewrite(data, lambda doc: doc["source"].update(spec="rebuilt"))
    again = Prepared.open(data)
    assert again is not first and again.source_spec == "rebuilt" and first.source_spec == "demo:seed=3"


def test_a_directory_without_a_manifest_is_not_prepared(tmp_path):
    with pytest.raises(NotPreparedError, match="no manifest.json") as err:
        Prepared.open(tmp_path)
    assert isinstance(err.value, FileNotFoundError) and isinstance(err.value, RmbenchError)


@pytest.mark.parametrize("edit, message", [
    (lambda doc: doc.update(kind="rmbench.results"), "kind='rmbench.results'"),
    (lambda doc: doc.pop("kind"), "kind=None"),
    (lambda doc: doc.update(tasks=[]), "malformed manifest"),
    (lambda doc: doc["tasks"]["askacademia"].pop("splits"), "malformed manifest"),
    (lambda doc: doc["tasks"]["writingprompts"]["splits"].pop("test_hard"), "task 'writingprompts' lacks splits test_hard"),
])
def test_open_validates_kind_and_splits(data, edit, message):
    _rewrite(data, edit)
    with pytest.raises(NotPreparedError) as err:
        Prepared.open(data)
    assert message in str(err.value)


def test_unreadable_json_is_not_prepared(tmp_path):
    (tmp_path / "manifest.json").write_text('{"kind": ')
    with pytest.raises(NotPreparedError, match="not readable JSON"):
        Prepared.open(tmp_path)
    (tmp_path / "manifest.json").write_text("[1, 2]")
    with pytest.raises(NotPreparedError, match="kind='list'"):
        Prepared.open(tmp_path)


def test_a_listed_split_file_that_is_missing_is_named(data):
    (data / "writingprompts" / "test.jsonl").unlink()
    with pytest.raises(NotPreparedError, match="test.jsonl: missing"):
        Prepared.open(data).split_path("writingprompts", "test")


def test_empty_split_error_is_a_data_error_naming_task_and_split(data):
    err = Prepared.open(data).empty_split_error("askacademia", "test_hard")
    assert isinstance(err, DataError)
    assert "'askacademia'" in str(err) and "'test_hard'" in str(err) and "rmbench tasks show askacademia" in str(err)


def test_empty_split_error_names_the_time_split_that_emptied_it_even_in_an_older_manifest(tmp_path, write_prepared):
    import json

    data = write_prepared(tmp_path / "d", sizes={"askacademia": {"train": 10, "validation": 2, "test": 0}})
    doc = json.loads((data / "manifest.json").read_text())
    doc["split_by"] = {"rule": "time", "date": "2030-01-01", "cutoff_utc": 1_893_456_000}  # no posts_by_date
    (data / "manifest.json").write_text(json.dumps(doc))
    p = Prepared.open(data)
    msg = str(p.empty_split_error("askacademia", "test"))
    assert "time split at 2030-01-01 put every post of askacademia before the date" in msg and "Loosen" not in msg
    assert "Loosen" in str(p.empty_split_error("askacademia", "validation"))  # not the date's doing
