"""The run directory: one per run, claimed for the run's whole life (``rmbench.atomic.claim_dir``),
holding its saved config so ``--resume`` continues only the same run."""

from __future__ import annotations

import contextlib
import datetime as _dt
import re
import shutil
from pathlib import Path

from rmbench.atomic import MARKER, claim_dir, write_json
from rmbench.errors import OutputExistsError, RmbenchError
from rmbench.jsonlimits import read_json_file
from rmbench.run.config import RunConfig

RUN_COMMAND = "run"  # the marker of every run directory, whether `rmbench run` or `evaluate` made it


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[-60:] or "model"


def default_out(kind: str, name: str, resume: bool) -> Path:
    """runs/<UTC timestamp>-<kind>-<name>; with --resume, the newest such directory."""
    if resume:
        found = sorted(Path("runs").glob(f"*-{kind}-{_slug(name)}"))
        if found:
            return found[-1]
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{stamp}-{kind}-{_slug(name)}"


@contextlib.contextmanager
def run_directory(run_dir: Path, cfg: RunConfig, inputs: list = (), main: bool = True):
    """Hold ``run_dir`` for the run (``rmbench.atomic.claim_dir``: a new or empty directory, or
    with ``--resume`` a run directory whose saved config matches this one; never an input, and
    a second run into it fails while this one holds it). Only the main process writes."""
    if not main:
        yield run_dir
        return
    created = not run_dir.exists()
    try:
        with claim_dir(run_dir, command=RUN_COMMAND, resume=cfg.train.resume, what="run directory",
                       inputs=[i for i in inputs if i]):
            prepare_run_dir(run_dir, cfg)
            yield run_dir
    except RmbenchError:
        # bad input (unreadable data, an empty split) in a folder this invocation made: the run
        # cannot finish on this data, so the folder goes and the user sees one line -- unless a
        # trained model is in it (hours of work; scored splits take minutes to redo)
        if created and not any((run_dir / d).exists() for d in ("model", "checkpoints")):
            shutil.rmtree(run_dir, ignore_errors=True)
        raise


def prepare_run_dir(run_dir: Path, cfg: RunConfig) -> None:
    """A new run directory, or a resumable one whose saved config matches this one."""
    saved = run_dir / "config.json"
    if saved.is_file():
        if not cfg.train.resume:
            done = (run_dir / "results.json").is_file()
            raise OutputExistsError(f"{run_dir} already holds a {'finished' if done else 'partial'} run; "
                                  "pass --resume to continue it, or choose another --out")
        old = read_json_file(saved)
        new = cfg.to_dict()
        for d in (old, new):
            d["train"]["resume"] = True
        if old != new:
            diff = sorted(f"{s}.{k}" for s in new if isinstance(new[s], dict)
                          for k in new[s] if old.get(s, {}).get(k) != new[s][k])
            raise OutputExistsError(f"--resume: {run_dir} was started with a different config ({', '.join(diff) or 'top-level keys'})")
    elif cfg.train.resume and run_dir.exists() and any(p.name != MARKER for p in run_dir.iterdir()):
        raise OutputExistsError(f"--resume: {run_dir} has no config.json; it is not an rmbench run directory")
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json(saved, cfg.to_dict())


def interrupt_note(run_dir: Path, resumed: bool, trains: bool = True) -> str:
    """What an interrupted run (Ctrl-C) left in ``run_dir`` and the command that continues it:
    click's bare "Aborted!" said neither, and without ``--resume`` a rerun is refused.
    ``trains``: False for ``evaluate`` (and judges, DPO policies), which have no checkpoints."""
    from rmbench.model.checkpoints import complete_steps

    n = len(list((run_dir / "scores").glob("*.json"))) if (run_dir / "scores").is_dir() else 0
    scored = f"{n} scored split{'s' * (n != 1)}" if n else ""
    steps = complete_steps(run_dir / "checkpoints")
    if (run_dir / "model").is_dir():
        kept = " and ".join(filter(None, ["the trained model", scored]))
    elif steps:
        kept = f"a training checkpoint at step {steps[-1]}"
    else:
        kept = "no training checkpoint yet" if trains else scored or "nothing scored yet"
    again = "rerun the same command" if resumed else "rerun the same command with --resume"
    return f"interrupted: {run_dir} holds {kept}; {again} to continue from there"
