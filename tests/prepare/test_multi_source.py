"""Several sources in one prepared set: a dump folder, SHP's layout and WritingPrompts_preferences'
layout, each task read from the source that holds it, every source in the manifest."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rmbench.cli import main
from rmbench.errors import ConfigError, DataError
from rmbench.prepare import prepare


def _dumps(folder, dump_thread, write_dumps, subs=("askscience",)):
    files: dict = {}
    for sub in subs:
        for i in range(6):
            post, comments = dump_thread(f"{sub[:4].lower()}{i}", sub)
            files.setdefault(f"{sub}_submissions.ndjson", []).append(post)
            files.setdefault(f"{sub}_comments.ndjson", []).extend(comments)
    return write_dumps(folder, files)


@pytest.fixture
def three(tmp_path, dump_thread, write_dumps, write_shp_layout, write_wp_layout):
    dumps = _dumps(tmp_path / "dumps", dump_thread, write_dumps)
    shp = write_shp_layout(tmp_path / "SHP", {"askculinary": 9, "askacademia": 6})
    wp = write_wp_layout(tmp_path / "WritingPrompts_preferences", 12)
    return str(dumps), str(shp), str(wp)


def test_three_sources_in_one_manifest(tmp_path, three):
    dumps, shp, wp = three
    m = prepare([dumps, shp, wp], tmp_path / "out", workers=1, progress=False)
    assert set(m["tasks"]) == {"askscience", "askculinary", "askacademia", "writingprompts"}
    by_spec = {b["spec"]: b for b in m["source"]["sources"]}
    assert by_spec[dumps]["tasks"] == ["askscience"]
    assert by_spec[shp]["tasks"] == ["askacademia", "askculinary"]
    assert by_spec[wp]["tasks"] == ["writingprompts"]
    for spec, b in by_spec.items():  # counts per source are its tasks' counts
        assert b["pairs"] == sum(m["tasks"][t]["pairs"]["kept"] for t in b["tasks"]) > 0
        assert b["files"] and all(len(f["sha256"]) == 64 for f in b["files"].values())
    assert m["source"]["files"] == {k: v for b in by_spec.values() for k, v in b["files"].items()}
    # the same pairs as each source prepared alone
    alone = prepare(wp, tmp_path / "wp-alone", workers=1, progress=False)
    assert alone["tasks"]["writingprompts"]["splits"] == m["tasks"]["writingprompts"]["splits"]


def test_parallel_workers_give_the_same_output(tmp_path, three):
    serial = prepare(list(three), tmp_path / "a", workers=1, progress=False)
    parallel = prepare(list(three), tmp_path / "b", workers=2, progress=False)
    assert {t: e["splits"] for t, e in serial["tasks"].items()} == {t: e["splits"] for t, e in parallel["tasks"].items()}
    assert serial["bad_input"] == parallel["bad_input"]


def test_a_task_in_two_sources_is_an_error_naming_both_until_one_is_chosen(tmp_path, dump_thread, write_dumps, three):
    _, shp, wp = three
    dumps = str(_dumps(tmp_path / "dumps2", dump_thread, write_dumps, subs=("askscience", "AskAcademia")))
    with pytest.raises(DataError, match=rf"'askacademia' \(r/AskAcademia\).*two sources: {dumps!r} and {shp!r}.*--task-source askacademia="):
        prepare([dumps, shp, wp], tmp_path / "x", workers=1, progress=False)
    assert not (tmp_path / "x").exists()
    m = prepare([dumps, shp, wp], tmp_path / "y", workers=1, progress=False,
                task_source={"askacademia": dumps})
    by_spec = {b["spec"]: b["tasks"] for b in m["source"]["sources"]}
    assert by_spec[dumps] == ["askacademia", "askscience"] and by_spec[shp] == ["askculinary"]
    # SHP's askacademia rows were passed over, and the manifest says so
    passed = {b["spec"]: b["passed_over"] for b in m["source"]["sources"]}
    assert passed[shp] == {"askacademia": dumps} and passed[dumps] == {}
    posts = [json.loads(line)["post_id"] for line in (tmp_path / "y" / "askacademia" / "train.jsonl").open()]
    assert posts and not any(p.startswith("askacademia") for p in posts)  # the dump's posts, not SHP's


def test_bad_task_source_values_are_clear(tmp_path, three):
    dumps, shp, wp = three
    with pytest.raises(ConfigError, match="is not one of the --source values"):
        prepare([dumps, shp], tmp_path / "x", task_source={"askculinary": wp})
    with pytest.raises(ConfigError, match="there is one"):
        prepare(shp, tmp_path / "x", task_source={"askculinary": shp})
    with pytest.raises(DataError, match=f"--source {wp} holds none of the tasks"):
        prepare([shp, wp], tmp_path / "x", tasks=["askculinary"])
    with pytest.raises(ConfigError, match="given twice"):
        prepare([shp, shp], tmp_path / "x")


def test_one_folder_spelled_two_ways_is_given_twice(tmp_path, three, monkeypatch):
    """``--source dumps --source ./dumps/`` is one folder: "given twice", not a task in two sources."""
    dumps, shp, _ = three
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"--source \./dumps/ is given twice \(as 'dumps' and './dumps/'"):
        prepare(["dumps", "./dumps/"], tmp_path / "x")
    with pytest.raises(ConfigError, match="given twice"):
        prepare([dumps, shp, str(tmp_path / "SHP" / ".." / "dumps")], tmp_path / "x")
    with pytest.raises(ConfigError, match="given twice"):
        prepare(["hf:stanfordnlp/SHP", "hf:StanfordNLP/shp"], tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_the_cli_takes_repeated_sources(tmp_path, three):
    dumps, shp, wp = three
    res = CliRunner().invoke(main, ["prepare", "--source", dumps, "--source", shp, "--source", wp, "--out",
                                    str(tmp_path / "out"), "--workers", "1", "--quiet", "--format", "tsv"])
    assert res.exit_code == 0, res.output
    rows = [line.split("\t")[0] for line in res.stdout.splitlines()[1:] if "\t" in line]
    assert sorted(rows) == ["askacademia", "askculinary", "askscience", "writingprompts"]
    doc = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert doc["source"]["spec"] == f"{dumps} + {shp} + {wp}" and len(doc["source"]["sources"]) == 3
    bad = CliRunner().invoke(main, ["prepare", "--source", shp, "--source", wp, "--task-source", "askculinary",
                                    "--out", str(tmp_path / "o2"), "--quiet"])
    assert bad.exit_code != 0 and "expected TASK=SOURCE" in bad.output


def test_run_and_evaluate_are_told_how_to_choose_a_source_they_cannot_choose(tmp_path, dump_thread, write_dumps, three):
    """--data A --data B (run, evaluate) with a task in both: the error's --task-source is a flag
    of prepare's, so the message says how to use it there and pass the prepared folder."""
    from rmbench.prepared.resolve import join_sources, resolve_data

    _, shp, wp = three
    dumps = str(_dumps(tmp_path / "dumps2", dump_thread, write_dumps, subs=("askscience", "AskAcademia")))
    with pytest.raises(DataError, match=r"two sources.*run and evaluate do not take --task-source: prepare the "
                                        r"sources once with `rmbench prepare --source .*--task-source TASK=SOURCE"):
        resolve_data(join_sources([dumps, shp, wp]), cache_dir=tmp_path / "cache", progress=False)
