"""``rmbench sweep``: flags -> RunConfig -> rmbench.run.sweep (its cells are ``rmbench run``s)."""

from __future__ import annotations

from pathlib import Path

import click

from rmbench.console import stderr_console
from rmbench.errors import RmbenchError
from rmbench.run.cli import common_options, resolve_config
from rmbench.run.rundir import default_out
from rmbench.tables import format_option


@click.command("sweep")
@click.option("--holdout", default="WritingPrompts", show_default=True, help="Held-out task of the learning curves and the adaptation curve.")
@click.option("--models", default=None, help="Comma-separated models for the learning curves (the first one for --adapt) [default: model.name, minilm].")
@click.option("--sizes", default="250,1000,4000,all", show_default=True,
              help="Training-pair counts of the learning curves (250, 1k, all); each point also gives its paired "
                   "difference to confounds (fitted on every training pair) on all and on hard held-out pairs.")
@click.option("--tasks", "transfer_tasks", help="Tasks of the transfer matrix and of --leave-one-out [default: every task with train and test data].")
@click.option("--curves/--no-curves", default=None, help="Run the learning curves [default: yes, no with --adapt].")
@click.option("--transfer/--no-transfer", default=None, help="Run the transfer matrix [default: yes, no with --adapt].")
@click.option("--adapt", "adapt", metavar="K,K,...", help="Few-shot curve: fine-tune the transfer model on K pairs of the held-out task, e.g. 0,100,1000 (0: pure transfer).")
@click.option("--leave-one-out", "loo", is_flag=True, help="Hold out each task of --tasks in turn (the first of --models, trained on the other tasks -- without --tasks on "
                   "every other task, as `rmbench run` trains: data.max_train_pairs, --set to change) and pool the held-out "
                   "results: one answer over every community.")
@click.option("--seeds", metavar="S,S,...", help="--leave-one-out: train every cell with each of these seeds (e.g. 0,1,2: a cell per task and seed) and "
                   "summarise each pair's outcome averaged over them, beside each seed's own answer; --adapt: a fine-tuned "
                   "cell per k and seed, each its own draw of k pairs, averaged the same way [default: the config's seed].")
@click.option("--adapt-epochs", type=float, default=3.0, show_default=True, help="Passes over the K adaptation pairs.")
@click.option("--adapt-lr", type=float, default=None, help="Peak learning rate of the fine-tuning on the K pairs [default: train.learning_rate, the k = 0 cell's].")
@click.option("--adapt-select", type=click.Choice(["own", "held-in"]), default="own", show_default=True,
              help="Where each fine-tuning's checkpoint is chosen: own, a fifth of its K pairs (whole posts, held aside "
                   "from the fine-tuning) with the starting model a candidate, kept unless beaten; or held-in, the "
                   "held-in validation pairs, which cannot see the held-out task get worse (BENCHMARKS.md (r), (s)).")
@click.option("--adapt-scratch", is_flag=True, help="Also train a cell per K and draw seed on the same K pairs from the "
                                                     "base model alone: what the other communities' votes are worth at K.")
@click.option("--epochs", type=float, help="Passes over each cell's training pairs.")
@click.option("--resume", is_flag=True, help="Continue an interrupted sweep (the newest one without --out).")
@format_option()
@common_options
@click.pass_context
def sweep_cmd(ctx, holdout, models, sizes, transfer_tasks, curves, transfer, adapt, loo, seeds, adapt_epochs, adapt_lr, adapt_select, adapt_scratch, fmt, quiet,
              config_file, settings, **_):
    """Learning curves, the transfer matrix, the few-shot adaptation curve and leave-one-out,
    with PNG plots and a report (OUT/sweep.md, and OUT/sweep.html: one page, the plots inside).

    \b
    Each cell is a full `rmbench run` under OUT/cells/, resumable; finished cells are
    never recomputed (`rmbench report OUT` on a sweep that stopped names the cells left and
    the command that continues it). A cell costs what `rmbench run` costs: the default run (256 pairs,
    every held-out post scored) takes about a minute on 2 idle CPU cores. Start small:
      rmbench sweep --holdout WritingPrompts --sizes 48,96 --no-transfer --limit 100 --out runs/curves-small
    (2 cells, 100 pairs per scored split: 70 s on 2 idle CPU cores with bf16). Then:
      rmbench sweep --holdout WritingPrompts --sizes 250,1k --no-transfer --out runs/curves
    (2 cells, every post: 3.6 min)
      rmbench sweep --holdout askacademia --adapt 0,100,1000 --out runs/adapt
    (3 cells: 8 min; each k paired with k = 0 on every held-out post no cell drew; add
    --seeds 0,1,2 for a cell per k and draw seed, averaged: one draw of 100 pairs says little;
    each checkpoint is chosen on a fifth of the k votes, held aside (--adapt-select held-in: on
    the held-in tasks' validation pairs, in another --out);
    --adapt-scratch to train the same k pairs from the base model alone beside each: are the
    other communities' votes worth anything once the community's own are there?).
    With no flags (sizes 250,1k,4k,all -- all is ~6,700 demo
    pairs -- and the six-task transfer matrix: 10 cells) a sweep takes about 40 min
    (BENCHMARKS.md). Every community held out in turn, pooled into one answer (a cell
    per task, each trained on the other tasks):
      rmbench sweep --leave-one-out --tasks writingprompts,askacademia,gradschool --out runs/loo-demo
    (3 cells: 3 min), and on real dumps (3 cells: 16 min with 2,000 pairs a cell):
      rmbench sweep --leave-one-out --data DUMPS --set data.max_train_pairs=2000 --out runs/loo
    Add --seeds 0,1,2 for a cell per task and training seed (three times the cells; the
    config's seed reuses the cells above): the answer on each pair's outcome averaged over
    the seeds, each seed's own, and in how many seeds it holds.
    It ends with its tables; rerun it with the same --out to print them again.
    """
    import time

    from rmbench.run.sweep import parse_seeds, parse_sizes, run_sweep
    from rmbench.run.sweep_report import PLOTS, show_sweep

    start = time.monotonic()
    out = None
    try:
        base = resolve_config(ctx, config_file, settings)
        ks = [k for k in parse_sizes(adapt) if k >= 0] if adapt else None
        seed_list = parse_seeds(seeds, loo or bool(ks))
        default = ks is None and not loo  # --adapt or --leave-one-out alone runs only that part
        curves = default if curves is None else curves
        transfer = default if transfer is None else transfer
        # runs/<stamp>-sweep-<name>: the curves' held-out task only where a curve runs
        name = holdout if curves or ks is not None else "leave-one-out" if loo else "transfer"
        out = Path(base.out) if base.out else default_out("sweep", name.lower(), ctx.params.get("resume"))
        result = run_sweep(base, out, holdout=holdout, models=[m.strip() for m in (models or base.model.name).split(",") if m.strip()],
                  sizes=parse_sizes(sizes), transfer_tasks=[t.strip() for t in (transfer_tasks or "").split(",") if t.strip()] or None,
                  curves=curves, transfer=transfer,
                  adapt=ks, adapt_epochs=adapt_epochs, adapt_lr=adapt_lr, adapt_select=adapt_select, adapt_scratch=adapt_scratch, leave_one_out=loo, seeds=seed_list, console=stderr_console(), progress=not quiet)
    except KeyboardInterrupt:  # which cells finished and the command that continues (click said only "Aborted!")
        from rmbench.run.sweep_plan import unfinished

        said = unfinished(out, interrupted=True) if out is not None else None
        if said is None:
            raise  # no sweep folder yet: the group's plain "interrupted"
        click.echo(said, err=True)
        ctx.exit(130)
    except RmbenchError as err:
        raise click.ClickException(str(err)) from err
    pngs = [out / result[k] for k in PLOTS if result.get(k)]
    show_sweep(result, [f"sweep: {out / 'sweep.json'}  report: {out / 'sweep.html'}  plots: {', '.join(map(str, pngs)) or 'none'}  "
                        f"wall time {time.monotonic() - start:.0f} s"], fmt)
