"""``rmbench prepare``: the command-line face of ``rmbench.prepare.build.prepare``."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from rmbench.errors import RmbenchError, SourceError, UnknownTaskError

TOP_REASONS = 3  # drop reasons shown per level in the summary; the manifest has them all


def task_list(value: str | None) -> list[str] | None:
    if not value:
        return None
    names = [n.strip() for n in value.split(",") if n.strip()]
    return names or None


@click.command("prepare")
@click.option("--source", "source", required=True, metavar="PATH|demo|hf:ID",
              help="A dump directory or file, 'demo' (or demo:scale=4), or a hub dataset like hf:stanfordnlp/SHP.")
@click.option("--tasks", default=None, metavar="A,B",
              help="Comma-separated task names (default: every task whose subreddit the source has).")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output directory; built beside it in a temporary directory and renamed at the end.")
@click.option("--overwrite", is_flag=True,
              help="Replace OUT if an earlier `rmbench prepare` made it (never another directory).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes pairing subreddits in parallel (default: CPU count; 1: one process). Same output.")
@click.option("--split-by", "split_by", default="hash", show_default=True, metavar="hash|time:YYYY-MM-DD",
              help="hash: by post id (90/5/5). time:DATE: posts before DATE (UTC) train/validation, from DATE on test "
                   "(a future window: nothing after the date is trained on). Recorded in the manifest.")
@click.option("--quiet", is_flag=True, help="No progress bars (the summary table is still printed).")
def prepare_cmd(source, tasks, out, overwrite, workers, split_by, quiet):
    """Turn Reddit dumps, SHP or WritingPrompts rows (or the demo) into preference pairs.

    Writes OUT/manifest.json and OUT/<task>/{train,validation,test,test_hard,all_hard}.jsonl
    (docs/formats.md), then prints pairs per task and split, test_hard sizes, the main
    drop reasons and any bad input lines.
    """
    from rmbench.atomic import check_out_path
    from rmbench.cli import debugging
    from rmbench.prepare import prepare

    try:
        check_out_path(out, [source])
        if out.exists() and not overwrite:
            raise click.UsageError(f"{out} already exists; pass --overwrite to replace it")
        manifest = prepare(source, out, tasks=task_list(tasks), overwrite=overwrite, progress=not quiet,
                           workers=workers, split_by=split_by)
    except UnknownTaskError as e:
        raise click.BadParameter(str(e), param_hint="--tasks") from None
    except RmbenchError as e:
        if debugging():
            raise
        raise click.ClickException(f"cannot read source: {e}" if isinstance(e, SourceError) else str(e)) from None
    print_summary(manifest, out)


def _top(dropped: dict[str, int]) -> str:
    items = sorted(dropped.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_REASONS]
    return ", ".join(f"{k} {v:,}" for k, v in items) or "-"


def print_summary(manifest: dict, out: Path, console: Console | None = None) -> None:
    console = console or Console()
    src = manifest["source"]
    title = f"prepared {src['spec']} -> {out}" + ("  [SYNTHETIC demo data]" if src.get("synthetic") else "")
    table = Table(title=title)
    for col in ("task", "train", "validation", "test", "test_hard", "posts kept", "top pair drops",
                "top comment drops", "warnings"):
        table.add_column(col, overflow="fold", justify="right" if col in ("train", "validation", "test") else "left")
    for name, t in manifest["tasks"].items():
        sp = t["splits"]
        hard = t["test_hard"]
        hard_cell = f"{hard['pairs']:,}" + (" [yellow](small)[/]" if hard["small"] else "")
        table.add_row(name, f"{sp['train']['pairs']:,}", f"{sp['validation']['pairs']:,}", f"{sp['test']['pairs']:,}",
                      hard_cell, f"{t['posts']['kept']:,}/{t['posts']['seen']:,}",
                      _top({**t["pairs"]["dropped"], "capped": t["pairs"]["capped"]}),
                      _top(t["comments"]["dropped"]), str(len(t["warnings"])))
    console.print(table)
    bad = manifest.get("bad_input") or {}
    if bad:
        bt = Table(title="bad input (every line, row or value not used as it stood)")
        for col in ("file", "reason", "count", "input", "first lines"):
            bt.add_column(col, overflow="fold")
        for path, reasons in bad.items():
            for reason, info in reasons.items():
                bt.add_row(path, reason, f"{info['count']:,}", info.get("input", "skipped"),
                           ", ".join(map(str, info["first_lines"])))
        console.print(bt)
    else:
        console.print("bad input: none")
    rule = manifest.get("split_by") or {}
    if rule.get("rule") == "time":
        lost = sum((rule.get("dropped_time_unknown") or {}).values())
        console.print(f"split by time: posts before {rule['date']} train/validation, from it on test"
                      + (f"; {lost:,} pairs without a post time dropped" if lost else ""))
    console.print(f"fingerprint {manifest['fingerprint'][:16]}…  manifest: {out / 'manifest.json'}")
