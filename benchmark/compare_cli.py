"""``rmbench compare``: runs of one prepared dataset, paired on the pairs they share (``rmbench.eval.compare``)."""

from __future__ import annotations

from pathlib import Path

import click

from rmbench.errors import RmbenchError
from rmbench.tables import emit, format_option, note

OUT_FILE = "compare.json"


def _eval_setting(doc: dict, key: str, default: int) -> int:
    value = ((doc.get("config") or {}).get("eval") or {}).get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default


@click.command("compare")
@click.argument("runs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), default=None,
              help="Also write compare.json, compare.md, compare.png (the differences with their intervals) "
                   "and compare.html (one page) into this new folder.")
@click.option("--overwrite", is_flag=True, help="Replace an --out folder an earlier `rmbench compare` wrote.")
@click.option("--samples", type=click.IntRange(min=100), default=None,
              help="Bootstrap resamples (default: the first run's eval.bootstrap_samples, else 1000).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the resamples.")
@click.option("--any-data", is_flag=True,
              help="Compare runs of different prepared data anyway, on the pair ids they share.")
@click.option("--sweep-seeds", "sweep_seeds", default=None, metavar="LIST",
              help="Training seeds to read from `sweep --leave-one-out --seeds` folders and folders of run "
                   "folders, e.g. 0,1 (default: every seed each has). With two or more, each pair's outcome is the "
                   "mean over the seeds, and each row says in how many seeds the verdict holds.")
@format_option()
def compare_cmd(runs, out, overwrite, samples, seed, any_data, sweep_seeds, fmt):
    """Compare two or more runs on the pairs they share: each later run against the first.

    \b
    RUNS are `rmbench run` or `rmbench evaluate` output folders (results.json and
    predictions.jsonl) of one prepared dataset, `rmbench sweep --leave-one-out` folders
    (each task as the cell holding it out scored it), or leaderboard submission files
    (leaderboard/submissions/NAME.json: a ranked entry beside your run). Per task and
    split both runs scored: each accuracy and the paired difference to the first run,
    with a 95% interval that resamples whole posts (read by the first run's
    eval.interval rule); a difference is called only when
    its interval excludes 0 (Holm: the same, adjusted for every row of the
    table at once). With two or more held-out tasks, a (pooled) row per
    held-out split: every shared pair of those tasks, posts resampled within each task.
    Pairs only one run scored are counted, not compared. A sweep run with --seeds,
    or a folder holding one run folder per --seed of one recipe (runs/poe/seed0,
    runs/poe/seed1, ...), is read over its seeds: each pair's outcome averaged, and
    each seed's own verdict counted ("better in 2 of 3"). Under the table, each
    run's note names what its results.json differs in from the first's: config keys,
    model, data, code, training precision, the machine (threads, CPU). Example (a run, then a
    baseline scored on the same data, then the two side by side):
      rmbench run --holdout WritingPrompts --train-tasks askacademia,askscience --limit 200 --out runs/wp
      rmbench evaluate --model baseline:longer --tasks writingprompts --out runs/longer
      rmbench compare runs/longer runs/wp --out runs/compare
      rmbench compare leaderboard/submissions/baseline-longer-demo.json leaderboard/submissions/minilm-demo.json
    """
    from rmbench.eval.compare import compare_runs, labels_for, load_run, notes, sheet

    from rmbench.run.sweep import parse_seeds

    try:
        seeds = parse_seeds(sweep_seeds, True, "--sweep-seeds")
        labels = labels_for(list(runs))
        loaded = [load_run(p, lab, seeds) for p, lab in zip(runs, labels)]
        first = loaded[0].doc
        doc = compare_runs(loaded, samples=samples or _eval_setting(first, "bootstrap_samples", 1000), seed=seed,
                           min_pairs=_eval_setting(first, "min_report_pairs", 50),
                           min_posts=_eval_setting(first, "min_report_posts", 20), any_data=any_data)
        if out is not None:
            _write(doc, out, overwrite, runs)
    except RmbenchError as e:
        raise click.ClickException(str(e)) from None
    emit(sheet(doc), fmt)
    for line in notes(doc):
        note(line, fmt)
    if out is not None:
        note(f"comparison: {out / OUT_FILE}  page: {out / 'compare.html'}", fmt)


def _write(doc: dict, out: Path, overwrite: bool, inputs) -> None:
    from rmbench.atomic import atomic_dir, write_json
    from rmbench.eval.compare import write_report

    from rmbench.eval.plots import compare_forest

    with atomic_dir(out, overwrite=overwrite, owned=lambda d: (d / OUT_FILE).is_file(), what="comparison",
                    command="rmbench compare", inputs=inputs) as tmp:
        write_json(tmp / OUT_FILE, doc)
        write_report(doc, tmp, compare_forest(doc, tmp / "compare.png"))
