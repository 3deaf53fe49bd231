"""`rmbench report`: reports written again from their JSON, only in folders rmbench made."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rmbench.cli import main
from rmbench.eval.compare import compare_runs, load_run


def test_sweep_and_comparison_reports_are_written_again(tmp_path, write_run_folder, pair_ids):
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "sweep.json").write_text(json.dumps({"kind": "rmbench.sweep", "holdout": "writingprompts", "adapt": {
        "holdout": "writingprompts", "split": "test", "points": [
            {"k": 0, "train_pairs": 0, "accuracy": 0.7, "ci95": [0.6, 0.8], "longer": 0.65, "confounds": 0.6}]}}))
    ids = pair_ids(30)
    a = write_run_folder(tmp_path / "a", {pid: 1.0 for pid in ids})
    b = write_run_folder(tmp_path / "b", {pid: 0.0 for pid in ids})
    cmp = tmp_path / "cmp"
    cmp.mkdir()
    (cmp / "compare.json").write_text(json.dumps(compare_runs([load_run(a), load_run(b)])))
    res = CliRunner().invoke(main, ["report", str(sweep), str(cmp)])
    assert res.exit_code == 0, res.output
    # a sweep's plot is drawn again too: every number it shows is in sweep.json (a run's needs the rewards)
    assert res.stdout.split() == [str(sweep / "adapt.png"), str(sweep / "sweep.md"), str(sweep / "sweep.html"),
                                  str(cmp / "compare.md"), str(cmp / "compare.html")]
    assert (sweep / "adapt.png").stat().st_size > 1000
    assert "Few-shot adaptation" in (sweep / "sweep.md").read_text() and "![adapt.png](adapt.png)" in (
        sweep / "sweep.md").read_text()
    assert "<td>worse</td>" in (cmp / "compare.html").read_text()


def test_folders_rmbench_did_not_make_are_named_and_left_alone(tmp_path, write_run_folder):
    # results.json but no output marker: someone else's folder
    foreign = write_run_folder(tmp_path / "foreign", {"p:1:2": 1.0})
    (foreign / "report.md").write_text("mine\n")
    other = tmp_path / "other"
    other.mkdir()
    (other / "sweep.json").write_text(json.dumps({"kind": "not-rmbench"}))
    empty = tmp_path / "empty"
    empty.mkdir()
    res = CliRunner().invoke(main, ["report", str(foreign), str(other), str(empty)])
    assert res.exit_code == 1
    assert "marker" in res.stderr and "not an rmbench sweep" in res.stderr and "not a run, sweep or comparison" in res.stderr
    assert (foreign / "report.md").read_text() == "mine\n" and not (foreign / "report.html").exists()
    assert sorted(p.name for p in other.iterdir()) == ["sweep.json"]


def test_a_missing_folder_is_named_and_the_others_are_still_tried(tmp_path):
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "sweep.json").write_text(json.dumps({"kind": "rmbench.sweep", "holdout": "writingprompts", "adapt": {
        "holdout": "writingprompts", "split": "test", "points": [
            {"k": 0, "train_pairs": 0, "accuracy": 0.7, "ci95": [0.6, 0.8], "longer": 0.65, "confounds": 0.6}]}}))
    res = CliRunner().invoke(main, ["report", str(tmp_path / "nope"), str(sweep), str(tmp_path / "gone")])
    assert res.exit_code == 1, res.output
    assert str(sweep / "sweep.md") in res.stdout and (sweep / "sweep.md").is_file()
    assert res.stderr.count("no such folder") == 2 and "Usage" not in res.output and "Traceback" not in res.output


def test_an_unfinished_run_says_so_and_how_to_continue_it(tmp_path):
    """A run killed during training has the run marker and config.json but no results.json:
    not "not a run folder", but the step it reached and the command that resumes it."""
    from rmbench.run.config import RunConfig
    from rmbench.run.rundir import run_directory

    def interrupted(out, holdout, *made):
        cfg = RunConfig()
        cfg.data.holdout = holdout
        with pytest.raises(KeyboardInterrupt), run_directory(out, cfg):  # writes what a run writes first
            for name in made:
                (out / name).mkdir()
            raise KeyboardInterrupt
        return out

    run = interrupted(tmp_path / "run", "writingprompts", "checkpoints")
    evaluated = interrupted(tmp_path / "eval", "", "scores")
    res = CliRunner().invoke(main, ["report", str(run), str(evaluated)])
    assert res.exit_code == 1 and "not a run" not in res.stderr
    err = " ".join(res.stderr.split())
    assert (f"{run}: a run that did not finish (training did not finish; no results.json yet)" in err
            and f"`rmbench run --holdout writingprompts --config {run / 'config.json'} --resume`" in err)
    assert f"{evaluated}: a run that did not finish (scoring did not finish;" in err
    assert f"`rmbench evaluate` command with --out {evaluated} --resume" in err
    assert sorted(p.name for p in run.iterdir()) == [".rmbench-output.json", "checkpoints", "config.json"]


@pytest.mark.slow
def test_an_unfinished_sweep_names_its_cells_and_the_command_that_continues_it(tmp_path, monkeypatch, tiny_bert_dir,
                                                                               write_prepared):
    """A sweep killed in its second cell has cells/ but no sweep.json: report names the cells that
    did not finish and the command that continues it -- and that command finishes the sweep."""
    import shlex

    import rmbench.model.train as train

    sizes = {t: {"train": 24, "validation": 8, "test": 12, "test_hard": 6} for t in ("writingprompts", "askacademia")}
    data = write_prepared(tmp_path / "data", sizes)
    tiny = tiny_bert_dir(tmp_path / "tiny")
    out = tmp_path / "sweep"
    monkeypatch.setenv("RMBENCH_SWEEP_IN_PROCESS", "1")  # the cells run here, where fit is patched
    real, calls, stop_at = train.fit, [], [2]

    def fit(*a, **kw):
        calls.append(1)
        if len(calls) in stop_at:
            raise KeyboardInterrupt  # killed while training the second cell
        return real(*a, **kw)

    monkeypatch.setattr(train, "fit", fit)
    res = CliRunner().invoke(main, ["sweep", "--holdout", "writingprompts", "--models", str(tiny), "--sizes", "12,24,all",
                                    "--no-transfer", "--data", str(data), "--out", str(out), "--epochs", "1",
                                    "--max-length", "32", "--quiet", "--set", "eval.bootstrap_samples=100"])
    assert res.exit_code == 130 and not (out / "sweep.json").exists()  # SIGINT's code
    assert f"{out}: interrupted (1 of 3 cells finished; did not finish: cells/" in " ".join(res.output.split())
    cells = sorted(p.name for p in (out / "cells").iterdir())
    assert len(cells) == 2 and (out / "cells" / cells[0] / "results.json").is_file()

    rep = CliRunner().invoke(main, ["report", str(out)])
    assert rep.exit_code == 1 and "not a run" not in rep.stderr
    err = " ".join(rep.stderr.split())
    assert cells[1].endswith("-24")  # the size is the name's last part; the model path before it may hold "-24"
    last = cells[1][:-len("-24")] + "-all"  # (pytest-242/...): replace only the suffix
    assert (f"{out}: a sweep that did not finish (1 of 3 cells finished; did not finish: cells/{cells[1]}; "
            f"not started: cells/{last}; no sweep.json yet)") in err
    command = err.split("`")[1]
    assert command == shlex.join(["rmbench", "sweep", "--config", str(out / "sweep-config.json"), "--holdout",
                                  "writingprompts", "--models", str(tiny), "--curves", "--sizes", "12,24,all",
                                  "--no-transfer", "--out", str(out)])

    calls.clear()
    stop_at.clear()
    again = CliRunner().invoke(main, shlex.split(command)[1:] + ["--quiet"], catch_exceptions=False)
    assert again.exit_code == 0, again.output
    assert len(calls) == 2  # the unfinished cell and the one not started: the finished one is read back
    doc = json.loads((out / "sweep.json").read_text())
    assert [p["requested"] for p in doc["learning_curves"][str(tiny)]] == [12, 24, "all"]
    assert CliRunner().invoke(main, ["report", str(out)]).exit_code == 0


def test_a_sweep_from_before_the_plan_names_the_cells_it_has(tmp_path):
    """No sweep-plan.json (an older rmbench): the run folders under cells/ are its cells."""
    from rmbench.run.config import RunConfig
    from rmbench.run.rundir import run_directory

    out = tmp_path / "sweep"
    for name, finished in (("curve-m-12", True), ("curve-m-24", False)):
        with pytest.raises(KeyboardInterrupt), run_directory(out / "cells" / name, RunConfig()):
            if finished:
                (out / "cells" / name / "results.json").write_text("{}")
            raise KeyboardInterrupt
    res = CliRunner().invoke(main, ["report", str(out)])
    err = " ".join(res.stderr.split())
    assert res.exit_code == 1 and (f"{out}: a sweep that did not finish (1 of 2 cells finished; did not finish: "
                                   "cells/curve-m-24; no sweep-plan.json (an older rmbench)") in err
    assert f"the same `rmbench sweep` command with --out {out}" in err
