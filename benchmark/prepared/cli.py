"""``rmbench export``: the command-line face of ``rmbench.prepared.export``."""

from __future__ import annotations

from pathlib import Path

import click

from rmbench.errors import RmbenchError, UnknownTaskError
from rmbench.prepare.cli import task_list
from rmbench.prepared.export import FORMATS
from rmbench.tables import Column, Sheet, emit

EPILOG = """\b
Examples:
  rmbench prepare --source demo --out prepared
  rmbench export --data prepared --out export-trl --format trl --model minilm --max-length 512
  rmbench export --data prepared --out export-rb --format rewardbench --tasks WritingPrompts --splits test
  rmbench export --data prepared --out export-hf --format hf-disk
"""


@click.command("export", epilog=EPILOG)
@click.option("--data", "data_dir", required=True, type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="A directory written by `rmbench prepare`.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Where to write OUT/<task>/<split>.jsonl (hf-disk: OUT/<task>/, a DatasetDict).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="trl", show_default=True,
              help="trl: prompt/chosen/rejected strings (TRL's RewardTrainer); trl-chat: TRL's conversational "
                   "messages; rewardbench: RewardBench's row layout (integer id, subset, chosen_model ...); "
                   "hf-disk: datasets.save_to_disk, one DatasetDict per task.")
@click.option("--tasks", default=None, metavar="A,B", help="Comma-separated tasks (default: all prepared).")
@click.option("--splits", default=None, metavar="S,T", help="Comma-separated splits (default: all five).")
@click.option("--model", default=None, help="With --max-length: the tokenizer to measure with (preset, HF id or directory).")
@click.option("--max-length", type=click.IntRange(min=1), default=None,
              help="Count, per split, the pairs longer than this many tokens of --model's tokenizer: the pairs "
                   "TRL's RewardTrainer drops at RewardConfig(max_length=N) (trl and trl-chat only).")
@click.option("--overwrite", is_flag=True, help="Replace OUT if it is an earlier export.")
def export_cmd(data_dir, out, fmt, tasks, splits, model, max_length, overwrite):
    """Export prepared pairs for TRL's RewardTrainer, RewardBench or `datasets`."""
    from rmbench.prepared.export import export

    if (model is None) != (max_length is None):
        raise click.UsageError("--max-length and --model go together: the length is counted in --model's tokens")
    try:
        check = None
        if max_length is not None:
            from rmbench.prepared.trl_compat import LengthCheck

            check = LengthCheck.for_model(model, max_length)
        result = export(data_dir, out, fmt, tasks=task_list(tasks), splits=task_list(splits), overwrite=overwrite,
                        length_check=check)
    except UnknownTaskError as e:
        raise click.BadParameter(str(e), param_hint="--tasks") from None
    except RmbenchError as e:
        raise click.ClickException(str(e)) from None
    counts, over = result["pairs"], result["over_max_length"]
    # --format names the export's layout here (issue 18's contract), so the summary is a
    # table for people only; EXPORT.json in OUT holds the same counts for programs.
    cols = [Column("task"), Column("split"), Column("pairs", kind="int")]
    if over is not None:
        cols += [Column(f"over_{max_length}_tokens", f"over {max_length} tokens", kind="int"),
                 Column("over_share", "% over", kind="pct")]
    sheet = Sheet(cols, title=f"exported ({fmt}) to {out}")
    for name, c in counts.items():
        for s, n in c.items():
            extra = (over[name][s], over[name][s] / n if n else None) if over is not None else ()
            sheet.add(name, s, n, *extra)
    emit(sheet, "table")
    if over is not None and any(n for c in over.values() for n in c.values()):
        click.echo(f"warning: TRL's RewardTrainer drops the pairs over max_length: train with "
                   f"RewardConfig(max_length={max_length}) or more, or lose the counts above.", err=True)
