"""The run directory rule (``rmbench.run.rundir.run_directory``): a run writes only into a new
or empty directory, or resumes its own; never into an input; and data whose task plugin is
gone still evaluates on its other tasks (issue 12)."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass

import pytest
from click.testing import CliRunner

from rmbench.cli import main


def _evaluate(data, out, *extra):
    return CliRunner().invoke(main, ["evaluate", "--model", "baseline:longer", "--data", str(data), "--out", str(out),
                                     "--quiet", *extra])


def test_evaluate_never_writes_into_a_directory_it_did_not_make(tmp_path, write_prepared):
    data = write_prepared(tmp_path / "data", {"askacademia": {"train": 4, "validation": 2, "test": 12, "test_hard": 4}})
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "results.json").write_text('{"someone": "else"}')  # no config.json, no marker
    res = _evaluate(data, theirs)
    assert res.exit_code == 1 and "not empty and is not a run directory" in res.output
    assert (theirs / "results.json").read_text() == '{"someone": "else"}' and sorted(p.name for p in theirs.iterdir()) == ["results.json"]


@pytest.mark.parametrize("where", ["data", "inside_data_parent"])
def test_out_equal_to_an_input_is_refused(tmp_path, write_prepared, where):
    data = write_prepared(tmp_path / "data", {"askacademia": {"train": 4, "validation": 2, "test": 12, "test_hard": 4}})
    before = sorted(p.name for p in data.rglob("*"))
    res = _evaluate(data, data if where == "data" else tmp_path)
    assert res.exit_code == 1 and "an input of this command" in res.output
    assert sorted(p.name for p in data.rglob("*")) == before


def test_an_empty_directory_and_a_finished_run(tmp_path, write_prepared):
    data = write_prepared(tmp_path / "data", {"askacademia": {"train": 4, "validation": 2, "test": 12, "test_hard": 4}})
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _evaluate(data, empty).exit_code == 0 and (empty / "results.json").is_file()
    again = _evaluate(data, empty)
    assert again.exit_code == 1 and "already holds" in again.output


def test_data_whose_task_plugin_is_gone_still_evaluates_its_other_tasks(tmp_path, write_prepared, monkeypatch):
    import rmbench.registry as registry
    from rmbench.registry import all_tasks, register
    from rmbench.task import RedditTask

    all_tasks()
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))

    @register
    @dataclass(frozen=True)
    class Knitting(RedditTask):
        name: str = "knitting"
        subreddits: tuple[str, ...] = ("knitting",)

    sizes = {"knitting": {"train": 4, "validation": 2, "test": 12, "test_hard": 4},
             "askacademia": {"train": 4, "validation": 2, "test": 12, "test_hard": 4}}
    data = write_prepared(tmp_path / "data", sizes)
    del registry._REGISTRY["knitting"]  # the plugin was uninstalled
    for extra, expected in (([], {"knitting", "askacademia"}), (["--tasks", "askacademia"], {"askacademia"})):
        out = tmp_path / f"out{len(extra)}"
        res = _evaluate(data, out, *extra)
        assert res.exit_code == 0, res.output
        assert set(json.loads((out / "results.json").read_text())["results"]) == expected


def test_missing_timestamps_make_the_time_baselines_not_applicable(tmp_path, make_pairs):
    from rmbench.prepare.pair import TaskStats
    from rmbench.prepare.write import dict_rows, manifest_document, task_entry, write_manifest, write_splits
    from rmbench.registry import get_task

    rows = {s: make_pairs("askacademia", s, n) for s, n in (("train", 4), ("validation", 2), ("test", 12), ("test_hard", 4))}
    for split in rows.values():
        for r in split:
            r.update(chosen_created_utc=None, rejected_created_utc=None, chosen_delay_s=None,
                     rejected_delay_s=None, time_gap_s=None)  # a source without times (SHP-like)
    data = tmp_path / "data"
    splits = write_splits(data / "askacademia", {s: dict_rows(r) for s, r in rows.items()})
    kept = sum(len(rows[s]) for s in ("train", "validation", "test"))
    stats = TaskStats(posts_seen=splits["train"]["posts"] + splits["validation"]["posts"] + splits["test"]["posts"],
                      comments_seen=2 * kept, comments_kept=2 * kept, candidates=kept, pairs_kept=kept)
    stats.posts_kept = stats.posts_seen
    write_manifest(data, manifest_document(source={"spec": "shp-like", "synthetic": True, "files": {}}, bad_input={},
                                           tasks={"askacademia": task_entry(get_task("askacademia"), splits, stats=stats)}))
    res = _evaluate(data, tmp_path / "out")
    assert res.exit_code == 0, res.output
    card = json.loads((tmp_path / "out" / "results.json").read_text())["results"]["askacademia"]["splits"]["test"]
    assert card["baselines"]["later"]["accuracy"] is None


def test_ctrl_c_says_what_the_run_directory_holds_and_how_to_continue(tmp_path, write_prepared, monkeypatch):
    """Interrupted, a run said only click's "Aborted!" (exit 1), and a plain rerun is refused
    without --resume; it now names what it kept and the command that continues it, exit 130."""
    from rmbench.run import harness

    data = write_prepared(tmp_path / "data", {"askacademia": {"train": 4, "validation": 2, "test": 12, "test_hard": 4}})
    out = tmp_path / "run"
    stage = {}

    def interrupted(cfg, run_dir, **kw):
        run_dir.mkdir()
        (run_dir / "config.json").write_text("{}")
        for step, complete in ((4, True), (8, True), (12, False)):  # checkpoint-12 was being written
            ck = run_dir / "checkpoints" / f"checkpoint-{step}"
            ck.mkdir(parents=True)
            if complete:
                (ck / "trainer_state.json").write_text(json.dumps({"global_step": step}))
        if stage.get("trained"):
            (run_dir / "model").mkdir()
            (run_dir / "scores").mkdir()
            (run_dir / "scores" / "askacademia.heldout_all.json").write_text("{}")
        raise KeyboardInterrupt

    monkeypatch.setattr(harness, "run_holdout", interrupted)
    args = ["run", "--holdout", "askacademia", "--data", str(data), "--out", str(out), "--quiet"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 130 and "Aborted" not in res.output
    assert f"interrupted: {out} holds a training checkpoint at step 8; rerun the same command with --resume" in res.output
    shutil.rmtree(out)
    stage["trained"] = True
    res = CliRunner().invoke(main, [*args, "--resume"])
    assert res.exit_code == 130
    assert f"interrupted: {out} holds the trained model and 1 scored split; rerun the same command to continue" in res.output


def test_an_interrupted_evaluate_continues_with_resume_as_it_says(tmp_path, write_prepared, monkeypatch):
    """evaluate had no --resume (only --set train.resume=true); Ctrl-C's line names --resume, so
    the flag exists and reads back the splits already scored."""
    from rmbench.run import harness

    data = write_prepared(tmp_path / "data", {"askacademia": {"train": 4, "validation": 2, "test": 12, "test_hard": 4}})
    out = tmp_path / "ev"
    real = harness.evaluate_model

    def interrupted(cfg, run_dir, *a, **kw):
        real(cfg, run_dir, *a, **kw)  # every split scored, then ^C before the command returns
        (run_dir / "results.json").unlink()
        raise KeyboardInterrupt

    monkeypatch.setattr(harness, "evaluate_model", interrupted)
    res = _evaluate(data, out)
    assert res.exit_code == 130 and f"interrupted: {out} holds 3 scored splits; " \
                                      "rerun the same command with --resume" in res.output
    monkeypatch.setattr(harness, "evaluate_model", real)
    assert _evaluate(data, out).exit_code == 1  # refused without --resume
    again = _evaluate(data, out, "--resume")
    assert again.exit_code == 0, again.output
    assert (out / "results.json").is_file()
