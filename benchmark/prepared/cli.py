"""``rmbench export``: the command-line face of ``rmbench.prepared.export``."""

from __future__ import annotations

from pathlib import Path

import click

from rmbench.errors import RmbenchError, UnknownTaskError
from rmbench.prepare.cli import task_list
from rmbench.tables import Column, Sheet, emit, format_option


@click.command("export")
@click.option("--data", "data_dir", required=True, type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="A directory written by `rmbench prepare`.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Where to write OUT/<task>/<split>.jsonl.")
@click.option("--tasks", default=None, metavar="A,B", help="Comma-separated tasks (default: all prepared).")
@click.option("--splits", default=None, metavar="S,T", help="Comma-separated splits (default: all four).")
@click.option("--overwrite", is_flag=True, help="Replace OUT if it exists.")
@format_option()
def export_cmd(data_dir, out, tasks, splits, overwrite, fmt):
    """Export prepared pairs as prompt/chosen/rejected jsonl for TRL's RewardTrainer or RewardBench."""
    from rmbench.prepared.export import export_jsonl

    try:
        counts = export_jsonl(data_dir, out, tasks=task_list(tasks), splits=task_list(splits), overwrite=overwrite)
    except UnknownTaskError as e:
        raise click.BadParameter(str(e), param_hint="--tasks") from None
    except RmbenchError as e:
        raise click.ClickException(str(e)) from None
    splits_seen = sorted({s for c in counts.values() for s in c})
    sheet = Sheet([Column("task")] + [Column(s, kind="int") for s in splits_seen], title=f"exported to {out}")
    for name, c in counts.items():
        sheet.add(name, *(c.get(s, 0) for s in splits_seen))
    emit(sheet, fmt)
