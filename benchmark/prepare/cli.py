"""``rmbench prepare``: the command-line face of ``rmbench.prepare.build.prepare``."""

from __future__ import annotations

from pathlib import Path

import sys

import click

from rmbench.console import quiet_option
from rmbench.errors import RmbenchError, SourceError, UnknownTaskError
from rmbench.tables import Column, Sheet, emit, format_option, note, render

TOP_REASONS = 3  # drop reasons shown per level in the summary; the manifest has them all
UNREAD_SHOWN = 5  # "not read:" lines printed; the rest are counted (the manifest lists them all)


def task_list(value: str | None) -> list[str] | None:
    if not value:
        return None
    names = [n.strip() for n in value.split(",") if n.strip()]
    return names or None


@click.command("prepare")
@click.option("--source", "sources", required=True, multiple=True, metavar="PATH|demo|hf:ID",
              help="A dump directory or file, 'demo' (or demo:scale=4), or a hub dataset like hf:stanfordnlp/SHP. "
                   "Repeat it to combine sources in one prepared set: each task is read from the source that holds it.")
@click.option("--task-source", "task_sources", multiple=True, metavar="TASK=SOURCE",
              help="With several --source: the source that serves a task two of them hold (e.g. "
                   "askscience=hf:stanfordnlp/SHP). Repeatable.")
@click.option("--tasks", default=None, metavar="A,B",
              help="Comma-separated task names (default: every task whose subreddit the source has).")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output directory; built beside it in a temporary directory and renamed at the end.")
@click.option("--overwrite", is_flag=True,
              help="Replace OUT if an earlier `rmbench prepare` made it and nothing was added to it since (never "
                   "another directory). An existing empty OUT needs no --overwrite.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes pairing subreddits in parallel (default: CPU count; 1: one process). Same output.")
@click.option("--split-by", "split_by", default="hash", show_default=True, metavar="hash|source|time:YYYY-MM-DD",
              help="hash: by post id (90/5/5). source: the split the source publishes for each post (SHP's own "
                   "train/validation/test, so a model trained on SHP's train split is tested on posts it never saw; "
                   "posts a source does not place: by hash). time:DATE: posts before DATE (UTC) train/validation, "
                   "from DATE on test (a future window: nothing after the date is trained on). Recorded in the "
                   "manifest, with each task's posts before and after the date; a date outside the data warns (see "
                   "--strict).")
@click.option("--strict", is_flag=True,
              help="Fail (exit 1, nothing written) instead of warning when a time split's date leaves a task's "
                   "train or test split empty (every post on one side of the date).")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local: this machine (--workers processes). ray: Ray tasks, on the cluster at --ray-address or a "
                   "local Ray with --workers CPUs (pip install 'rmbench[ray]'); same output, and a killed run resumes "
                   "from OUT.ray-work without redoing finished files and buckets. See docs/scale.md.")
@click.option("--ray-address", default=None, metavar="ADDR",
              help="With --engine ray: a running cluster (e.g. ray://head:10001 or auto); OUT must be on storage "
                   "every node sees. Default: start Ray on this machine.")
@click.option("--ray-buckets", type=click.IntRange(min=1), default=None, metavar="N",
              help="With --engine ray: pair buckets per subreddit (hash of the post id). Default: one per 256 MiB "
                   "of the subreddit's compressed files.")
@quiet_option
@format_option()
def prepare_cmd(sources, tasks, out, overwrite, workers, split_by, strict, quiet, fmt, task_sources, engine,
                ray_address, ray_buckets):
    """Turn Reddit dumps, SHP or WritingPrompts rows (or the demo) into preference pairs.

    Writes OUT/manifest.json and OUT/<task>/{train,validation,test,test_hard,all_hard}.jsonl
    (docs/formats.md) with the dataset card OUT/README.md (so datasets.load_dataset(OUT,
    TASK) gives each split file as its own split), then prints pairs per task and split,
    test_hard sizes, the main drop reasons, each task's warnings (a line each, "TASK: warning:
    TEXT"; on stderr with --format tsv/csv/json), any bad input lines (a table; on stderr in
    the same --format with tsv/csv/json) and any dump file it did not read because its name
    says a subreddit no registered task pairs.

    \b
    Examples: rmbench prepare --source demo --out prepared
              rmbench prepare --source demo --tasks writingprompts,askacademia --out prepared --overwrite --format tsv
              rmbench prepare --source DUMPS --out prepared-time --split-by time:2021-01-01
              rmbench prepare --source hf:stanfordnlp/SHP --out shp --split-by source
              rmbench prepare --source hf:stanfordnlp/SHP --source hf:euclaise/WritingPrompts_preferences --out shp-wp
              rmbench prepare --source DUMPS --out prepared --engine ray --ray-address auto
    """
    from rmbench.atomic import check_out_path, check_replaceable
    from rmbench.cli import debugging
    from rmbench.prepare import prepare
    from rmbench.prepare.build import WHAT, is_prepared_dir
    from rmbench.sources.multi import parse_task_sources

    source = sources[0] if len(sources) == 1 else list(sources)
    if engine == "local" and (ray_address or ray_buckets):
        raise click.UsageError("--ray-address and --ray-buckets need --engine ray")
    try:
        check_out_path(out, list(sources))
        check_replaceable(out, overwrite=overwrite, owned=is_prepared_dir, what=WHAT, command="prepare")
        manifest = prepare(source, out, tasks=task_list(tasks), overwrite=overwrite, progress=not quiet,
                           workers=workers, split_by=split_by, strict=strict,
                           task_source=parse_task_sources(task_sources), engine=engine,
                           ray_address=ray_address, ray_buckets=ray_buckets)
    except UnknownTaskError as e:
        raise click.BadParameter(str(e), param_hint="--tasks") from None
    except RmbenchError as e:
        if debugging():
            raise
        raise click.ClickException(f"cannot read source: {e}" if isinstance(e, SourceError) else str(e)) from None
    print_summary(manifest, out, fmt)
    from rmbench.prepare.timesplit import date_problems

    for problem in date_problems(manifest):  # on stderr whatever the format: stdout may be data
        click.echo(f"warning: {problem}", err=True)


def _top(dropped: dict[str, int]) -> str:
    items = sorted(dropped.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_REASONS]
    return ", ".join(f"{k} {v:,}" for k, v in items) or "-"


def summary_sheets(manifest: dict, out: Path) -> tuple[Sheet, Sheet | None]:
    """Pairs per task and split, and the bad input (None when there was none)."""
    src = manifest["source"]
    title = f"prepared {src['spec']} -> {out}" + ("  [SYNTHETIC demo data]" if src.get("synthetic") else "")
    sheet = Sheet([Column("task"), Column("train", kind="int"), Column("validation", kind="int"),
                   Column("test", kind="int"), Column("test_hard", kind="int"),
                   Column("test_hard_small", "small?", "bool"), Column("posts_kept", "posts kept", "int"),
                   Column("posts_seen", "posts seen", "int"), Column("top_pair_drops", "top pair drops"),
                   Column("top_comment_drops", "top comment drops"), Column("warnings", kind="int")], title=title)
    for name, t in manifest["tasks"].items():
        sp = t["splits"]
        sheet.add(name, sp["train"]["pairs"], sp["validation"]["pairs"], sp["test"]["pairs"], t["test_hard"]["pairs"],
                  bool(t["test_hard"]["small"]), t["posts"]["kept"], t["posts"]["seen"],
                  _top({**t["pairs"]["dropped"], "capped": t["pairs"]["capped"]}), _top(t["comments"]["dropped"]),
                  len(t["warnings"]))
    bad = manifest.get("bad_input") or {}
    if not bad:
        return sheet, None
    bt = Sheet([Column("file"), Column("reason"), Column("count", kind="int"), Column("input"),
                Column("first_lines", "first lines")], title="bad input (every line, row or value not used as it stood)")
    for path, reasons in bad.items():
        for reason, info in reasons.items():
            bt.add(path, reason, info["count"], info.get("input", "skipped"), ", ".join(map(str, info["first_lines"])))
    return sheet, bt


def print_summary(manifest: dict, out: Path, fmt: str = "table") -> None:
    """The pairs table on stdout (in ``fmt``); the bad-input table beside it, or on stderr in
    the same ``fmt`` when stdout is data (a program that reads one format reads both); the notes
    (each task's warnings among them) likewise."""
    sheet, bad = summary_sheets(manifest, out)
    emit(sheet, fmt)
    if bad is None:
        note("bad input: none", fmt)
    elif fmt == "table":
        emit(bad, fmt)
    else:
        sys.stderr.write(render(bad, fmt))  # with json: one JSON document, the shape of stdout's
    for task, t in manifest["tasks"].items():  # the texts behind the warnings column
        for text in t["warnings"]:
            note(f"{task}: warning: {text}", fmt)
    unread = list((manifest["source"].get("files_not_read") or {}).items())
    for path, why in unread[:UNREAD_SHOWN]:  # a torrent folder holds thousands
        note(f"not read: {path}: {why}", fmt)
    if len(unread) > UNREAD_SHOWN:
        note(f"not read: {len(unread) - UNREAD_SHOWN:,} more files named for subreddits no registered task pairs "
             "(manifest: source.files_not_read)", fmt)
    rule = manifest.get("split_by") or {}
    if rule.get("rule") == "time":
        lost = sum((rule.get("dropped_time_unknown") or {}).values())
        note(f"split by time: posts before {rule['date']} train/validation, from it on test"
             + (f"; {lost:,} pairs without a post time dropped" if lost else ""), fmt)
        for task, c in sorted((rule.get("posts_by_date") or {}).items()):
            note(f"  {task}: {c['before']:,} posts before {rule['date']}, {c['on_or_after']:,} on or after"
                 + (f" (first {c['first_post']}, last {c['last_post']})" if c.get("first_post") else ""), fmt)
    if rule.get("rule") == "source":
        note(f"split by source: {rule['source_posts']:,} posts placed by their source's own split"
             + (f" ({rule['conflicts']:,} in two splits: left to the hash)" if rule.get("conflicts") else ""), fmt)
        for task, c in sorted((rule.get("placed") or {}).items()):
            note(f"  {task}: {c['source']:,} pairs in the source's split, {c['hash']:,} by hash"
                 + (" (its source publishes no split)" if c["hash"] and not c["source"] else ""), fmt)
    note(f"fingerprint {manifest['fingerprint'][:16]}…  manifest: {out / 'manifest.json'}", fmt)
