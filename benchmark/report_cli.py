"""``rmbench report``: write a run's, sweep's or comparison's report again from its JSON.

Why: the reports are views of results.json / sweep.json / compare.json, and a folder made by
an older rmbench has an older view (no report.html before 0.1's HTML pages, no vote-margin
table). Rewriting them reads only that JSON and writes only report.md / report.html (or
sweep.* / compare.*) in a folder rmbench made; nothing is recomputed or re-scored, so the
numbers are the ones the run wrote. A run's plots are not redrawn (they need the rewards): the
page inlines the ones the folder has. A sweep's are, from sweep.json (``rmbench.run.sweep_plots``).
"""

from __future__ import annotations

from pathlib import Path

import click

from rmbench.errors import ConfigError, RmbenchError


def rewrite(folder: Path) -> list[Path]:
    """The report files of ``folder`` written again; a ConfigError if rmbench did not make it."""
    from rmbench.atomic import MARKER, read_marker
    from rmbench.jsonlimits import read_json_file

    if not folder.is_dir():
        raise ConfigError(f"{folder}: " + ("not a folder" if folder.exists() else "no such folder"))
    if (folder / "results.json").is_file():
        doc = read_json_file(folder / "results.json")
        if read_marker(folder) is None or not isinstance(doc, dict) or not isinstance(doc.get("model"), dict):
            raise ConfigError(f"{folder}: results.json without rmbench's {MARKER} marker, or not rmbench's: "
                              "left as it is")
        from rmbench.eval.report import write_report

        write_report(doc, folder / "report.md")
        return [folder / "report.md", folder / "report.html"]
    for name, kind in (("sweep.json", "rmbench.sweep"), ("compare.json", "rmbench.compare")):
        if (folder / name).is_file():
            doc = read_json_file(folder / name)
            if not isinstance(doc, dict) or doc.get("kind") != kind:
                raise ConfigError(f"{folder / name}: not an rmbench {kind.split('.')[1]} (kind {kind!r}): left as it is")
            return _rewrite_sweep(doc, folder) if kind == "rmbench.sweep" else _rewrite_compare(doc, folder)
    mark = read_marker(folder)
    if mark is not None and mark.get("command") == "run":  # rmbench.run.rundir.RUN_COMMAND
        raise ConfigError(_unfinished(folder))
    from rmbench.run.sweep_plan import unfinished

    said = unfinished(folder)  # a sweep that stopped before its sweep.json: its cells, the command that continues it
    if said:
        raise ConfigError(said)
    raise ConfigError(f"{folder}: no results.json, sweep.json or compare.json: not a run, sweep or comparison folder")


def _unfinished(folder: Path) -> str:
    """A run folder without results.json: a run that stopped (or is still going), with the
    step it reached and the command that continues it."""
    from rmbench.jsonlimits import read_json_file

    try:
        holdout = read_json_file(folder / "config.json")["data"]["holdout"]
    except (OSError, ValueError, KeyError, TypeError):
        holdout = None
    trained = (folder / "train_info.json").is_file()
    training = not trained and any((folder / n).exists() for n in ("checkpoints", "model", "train_log.jsonl"))
    step = "training did not finish" if training else "scoring did not finish" if trained or \
        (folder / "scores").is_dir() else "it stopped before training or scoring"
    again = (f"`rmbench run --holdout {holdout} --config {folder / 'config.json'} --resume`" if holdout else
             f"the same `rmbench evaluate` command with --out {folder} --resume")
    return (f"{folder}: a run that did not finish ({step}; no results.json yet), or one still running: "
            f"continue it with {again}, then its report is written")


def _rewrite_sweep(doc: dict, folder: Path) -> list[Path]:
    """sweep.md / sweep.html and the plots: every number a sweep's plot shows is in sweep.json."""
    from rmbench.run.sweep_plots import draw_plots
    from rmbench.run.sweep_report import write_sweep_report

    drawn = draw_plots(doc, folder)
    return [*(folder / name for name in drawn.values()), *write_sweep_report({**doc, **drawn}, folder)]


def _rewrite_compare(doc: dict, folder: Path) -> list[Path]:
    from rmbench.eval.compare import write_report

    return write_report(doc, folder, "compare.png" if (folder / "compare.png").is_file() else None)


@click.command("report")
@click.argument("folders", nargs=-1, required=True, type=click.Path(path_type=Path))  # each checked in turn
def report_cmd(folders):
    """Write the reports of run, sweep or comparison FOLDERS again, from their JSON.

    \b
    For a folder an older rmbench made (no report.html) or after an upgrade: reads only
    results.json, sweep.json or compare.json and rewrites report.md and report.html (or
    sweep.md/.html, compare.md/.html) beside it; nothing is re-scored, and only a sweep's
    plots are redrawn (their numbers are in sweep.json). Every folder is tried; one that is missing or not rmbench's is named (and
    left alone; an unfinished run or sweep, with the command that resumes it and a
    sweep's unfinished cells), and the exit status is then 1.
    Example:
      rmbench report runs/wp runs/compare
    """
    failed = 0
    for folder in folders:
        try:
            for path in rewrite(folder):
                click.echo(str(path))
        except RmbenchError as e:
            failed += 1
            click.echo(f"Error: {e}", err=True)
    if failed:
        raise click.exceptions.Exit(1)
