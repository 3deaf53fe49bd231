"""A sweep's plan, written before its first cell: what ``rmbench report`` says of a sweep that stopped.

Why: a sweep writes sweep.json only after its last cell, so the folder of one that was killed
(or is still going) holds only ``cells/``, and ``rmbench report`` could say no more than "not a
sweep folder". Before its first cell a sweep now writes

- ``OUT/sweep-plan.json``: ``{"kind": "rmbench.sweep-plan", "schema_version", "args", "cells"}``,
  the sweep's own flags (its --out as given) and the names of its cells in the order they run;
- ``OUT/sweep-config.json``: its config as resolved (data source included), the one every cell's
  config is copied from. A cell continues only under the config it started with (its
  ``--resume`` check), so the command that continues the sweep reads this file with ``--config``
  rather than asking for the original flags again.

A rerun with other flags into the same folder writes both again: the plan is the latest intent.
"""

from __future__ import annotations

import shlex
from pathlib import Path

PLAN = "sweep-plan.json"
CONFIG = "sweep-config.json"
KIND = "rmbench.sweep-plan"


def planned_cells(out: Path, base_seed: int, *, models: list[str], sizes: list[int], transfer_tasks: list[str],
                  ks: list[int], loo_tasks: list[str], seeds: list[int] | None, scratch: bool = False) -> list[Path]:
    """Every cell of a sweep, in the order ``rmbench.run.sweep.run_sweep`` runs them (``sizes``
    empty without the learning curves; ``scratch``: --adapt-scratch's cell after each adapted one)."""
    from rmbench.run.loo import cell_dir, seed_cells
    from rmbench.run.sweep import adapt_cell, curve_cell, transfer_cell

    return ([curve_cell(out, m, n) for m in models for n in sizes] + [transfer_cell(out, t) for t in transfer_tasks]
            + [adapt_cell(out, k, suffix, scratch=fresh) for k in ks
               for _, suffix in (seed_cells(seeds, base_seed) if k else [(0, None)])
               for fresh in ((False, True) if scratch and k else (False,))]
            + [cell_dir(out, t, suffix) for t in loo_tasks for _, suffix in seed_cells(seeds, base_seed)])


def write_plan(out: Path, config: dict, args: dict, cells: list[Path]) -> None:
    """``OUT/sweep-config.json`` and ``OUT/sweep-plan.json`` (module docstring)."""
    from rmbench.atomic import write_json

    write_json(out / CONFIG, config)
    write_json(out / PLAN, {"kind": KIND, "schema_version": 1, "args": args, "cells": [c.name for c in cells]})


def resume_command(folder: Path, args: dict) -> str:
    """The `rmbench sweep` command that continues the sweep in ``folder``: its flags, its saved config,
    and its --out as it was given (each cell's saved config holds its path under it, and a cell
    continues only under the same config)."""
    words = ["rmbench", "sweep", "--config", str(folder / CONFIG), "--holdout", args["holdout"]]
    if args.get("models"):
        words += ["--models", ",".join(args["models"])]
    if args.get("curves"):
        words += ["--curves", "--sizes", ",".join(str(n) if n else "all" for n in args.get("sizes") or [])]
    else:
        words.append("--no-curves")
    words.append("--transfer" if args.get("transfer") else "--no-transfer")
    if args.get("tasks"):
        words += ["--tasks", ",".join(args["tasks"])]
    if args.get("adapt"):
        words += ["--adapt", ",".join(map(str, args["adapt"])), "--adapt-epochs", format(args["adapt_epochs"], "g")]
        words += ["--adapt-lr", format(args["adapt_lr"], "g")] if args.get("adapt_lr") is not None else []
        # always spelled out: a plan from before own became the default chose on held-in pairs
        words += ["--adapt-select", args.get("adapt_select") or "held-in"]
        words += ["--adapt-scratch"] if args.get("adapt_scratch") else []
    if args.get("leave_one_out"):
        words.append("--leave-one-out")
    if args.get("seeds"):
        words += ["--seeds", ",".join(map(str, args["seeds"]))]
    return shlex.join(words + ["--out", args.get("out") or str(folder)])


def _plan(folder: Path) -> dict | None:
    """The folder's plan, or None where it has none (an older rmbench's sweep) or not a readable one."""
    from rmbench.jsonlimits import read_json_file

    try:
        doc = read_json_file(folder / PLAN)
    except (OSError, ValueError):
        return None
    ok = (isinstance(doc, dict) and doc.get("kind") == KIND and isinstance(doc.get("args"), dict)
          and isinstance(doc.get("cells"), list) and all(isinstance(c, str) for c in doc["cells"])
          and isinstance(doc["args"].get("holdout"), str) and (folder / CONFIG).is_file())
    return doc if ok else None


def unfinished(folder: Path, interrupted: bool = False) -> str | None:
    """What ``rmbench report`` says of a sweep folder without sweep.json: which cells finished,
    which did not, and the command that continues it; None where ``folder`` is no sweep's.
    ``interrupted``: said by the sweep itself on Ctrl-C, so it is not "still running"."""
    from rmbench.atomic import read_marker

    cells = folder / "cells"
    plan = _plan(folder)
    if plan is not None:
        names = plan["cells"]
        again = f"`{resume_command(folder, plan['args'])}`"
        if Path(plan["args"].get("out") or folder).resolve() != folder.resolve():  # a relative --out, another directory
            again += f" from the directory the sweep was started in (its --out, {plan['args']['out']}, is relative to it)"
    else:  # a sweep from before the plan: its cells are the run folders under cells/
        names = sorted(d.name for d in (cells.iterdir() if cells.is_dir() else ())
                       if d.is_dir() and (read_marker(d) or {}).get("command") == "run")  # rundir.RUN_COMMAND
        if not names:
            return None
        again = f"the same `rmbench sweep` command with --out {folder}"
    done = [n for n in names if (cells / n / "results.json").is_file()]
    stopped = [n for n in names if n not in done and (cells / n).exists()]
    waiting = [n for n in names if n not in done and n not in stopped]
    said = [f"{len(done)} of {len(names)} cells finished"]
    if stopped:
        said.append("did not finish: " + ", ".join(f"cells/{n}" for n in stopped))
    if waiting:
        said.append("not started: " + ", ".join(f"cells/{n}" for n in waiting))
    if not stopped and not waiting:
        said.append("it stopped before writing sweep.json")
    if plan is None:
        said.append("no sweep-plan.json (an older rmbench), so cells not started yet are not listed")
    what = ("interrupted" if interrupted else "a sweep that did not finish") + f" ({'; '.join(said)}; no sweep.json yet)"
    return (f"{folder}: {what}{'' if interrupted else ', or one still running'}: continue it with {again} (finished cells are read back, an unfinished one continues from its "
            "checkpoint), then its report is written")
