"""The sweep's plan: its cells in order, and a resume command `rmbench sweep` accepts as written."""

from __future__ import annotations

import shlex
from pathlib import Path

from rmbench.run.sweep_cli import sweep_cmd
from rmbench.run.sweep_plan import planned_cells, resume_command


def test_planned_cells_are_the_sweeps_cells_in_the_order_it_runs_them(tmp_path):
    cells = planned_cells(tmp_path, 0, models=["org/rm"], sizes=[12, 0], transfer_tasks=["a", "b"], ks=[0, 100],
                          loo_tasks=["a", "b"], seeds=[0, 1])
    assert [c.name for c in cells] == ["curve-org-rm-12", "curve-org-rm-all", "transfer-a", "transfer-b", "adapt-0",
                                       "adapt-100", "adapt-100-seed1", "loo-a", "loo-a-seed1", "loo-b", "loo-b-seed1"]
    assert all(c.parent == tmp_path / "cells" for c in cells)
    alone = planned_cells(tmp_path, 0, models=[], sizes=[], transfer_tasks=[], ks=[0, 100], loo_tasks=[], seeds=[0, 1],
                          scratch=True)  # --adapt-scratch: each adapted cell's from-scratch twin right after it
    assert [c.name for c in alone] == ["adapt-0", "adapt-100", "adapt-100-scratch", "adapt-100-seed1",
                                       "adapt-100-scratch-seed1"]


def test_the_resume_command_gives_every_flag_back(tmp_path):
    args = {"out": str(tmp_path / "my sweep"), "holdout": "askacademia", "models": ["a", "b"], "sizes": [250, 0],
            "tasks": ["askacademia", "gradschool"], "curves": False, "transfer": True, "adapt": [0, 100],
            "adapt_epochs": 2.0, "adapt_lr": 2e-5, "adapt_select": "own", "adapt_scratch": True, "leave_one_out": True, "seeds": [0, 2]}
    (tmp_path / "my sweep").mkdir()
    (tmp_path / "my sweep" / "sweep-config.json").write_text("{}")  # --config must exist
    words = shlex.split(resume_command(Path(args["out"]), args))
    assert words[:2] == ["rmbench", "sweep"]
    ctx = sweep_cmd.make_context("sweep", words[2:])  # parsed by the command itself: every flag exists
    p = ctx.params
    assert (p["config_file"], p["out"]) == (str(tmp_path / "my sweep" / "sweep-config.json"), args["out"])
    assert (p["holdout"], p["models"], p["transfer_tasks"], p["adapt"], p["adapt_epochs"], p["adapt_lr"], p["adapt_select"],
            p["adapt_scratch"], p["seeds"]) == ("askacademia", "a,b", "askacademia,gradschool", "0,100", 2.0, 2e-5, "own",
                                                True, "0,2")
    assert (p["curves"], p["transfer"], p["loo"]) == (False, True, True)


def test_the_resume_command_spells_the_selection_out(tmp_path):
    """Whatever today's default: a plan from before --adapt-select (or before own became the
    default) chose on held-in pairs, and its resume command says so."""
    args = {"holdout": "askacademia", "adapt": [0, 100], "adapt_epochs": 3.0, "adapt_select": "own"}
    assert "--adapt-select own" in resume_command(tmp_path, args) and "--adapt-scratch" not in resume_command(tmp_path, args)
    del args["adapt_select"]
    assert "--adapt-select held-in" in resume_command(tmp_path, args)


def test_ctrl_c_in_a_sweep_names_its_finished_cells_and_the_command_that_continues_it(tmp_path, monkeypatch):
    """Interrupted, a sweep said only "Aborted!" (exit 1); it now says what `rmbench report`
    would of the folder, as an interruption, and exits 130."""
    from click.testing import CliRunner

    from rmbench.cli import main
    from rmbench.run import sweep
    from rmbench.run.sweep_plan import write_plan

    out = tmp_path / "sw"

    def interrupted(base, out, **kw):
        cells = planned_cells(out, 0, models=["minilm"], sizes=[], transfer_tasks=[], ks=[0, 50], loo_tasks=[], seeds=[0])
        out.mkdir()
        write_plan(out, base.to_dict(), {"out": str(out), "holdout": "askacademia", "models": ["minilm"], "curves": False,
                                         "transfer": False, "adapt": [0, 50], "adapt_epochs": 3.0, "adapt_select": "own"},
                   cells)
        (cells[0] / "results.json").parent.mkdir(parents=True)
        (cells[0] / "results.json").write_text("{}")
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep, "run_sweep", interrupted)
    res = CliRunner().invoke(main, ["sweep", "--holdout", "askacademia", "--adapt", "0,50", "--out", str(out), "--quiet"])
    assert res.exit_code == 130 and "Aborted" not in res.output
    assert (f"{out}: interrupted (1 of 2 cells finished; not started: cells/adapt-50; no sweep.json yet): continue it "
            "with `rmbench sweep --config") in res.output and "still running" not in res.output
