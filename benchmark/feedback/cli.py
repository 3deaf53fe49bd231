"""``rmbench feedback``: serve the comparison page locally and export the clicks as pairs."""

from __future__ import annotations

import click


@click.group("feedback")
def feedback_group():
    """Collect human story preferences in a local page and export them as preference pairs.

    \b
    rmbench agent compare --agent A --generator G --data D --out page/
    rmbench feedback serve --dir page/          # open the printed URL, click the better story
    rmbench feedback export --dir page/ --out human-data/
    rmbench run --data human-data/ --holdout human-feedback ...
    """


@feedback_group.command("serve")
@click.option("--dir", "page_dir", required=True, type=click.Path(exists=True, file_okay=False),
              help="A page written by `rmbench agent compare`.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="Port on 127.0.0.1 (0: any free port). The server never listens on other interfaces and "
                   "answers only requests addressed to 127.0.0.1:PORT or localhost:PORT (tunnel to the same port).")
def serve_cmd(page_dir, port):
    """Serve the page on 127.0.0.1 and store each click in DIR/private/clicks.sqlite."""
    from rmbench.feedback.page import db_path
    from rmbench.feedback.server import FeedbackServer

    try:
        server = FeedbackServer(page_dir, port)
    except FileNotFoundError as e:
        raise click.ClickException(f"{page_dir} is not a feedback page: {e}") from None
    except OSError as e:
        raise click.ClickException(f"cannot listen on 127.0.0.1:{port}: {e}") from None
    click.echo(f"Serving {len(server.items)} comparisons at {server.url} (clicks -> {db_path(page_dir)}); Ctrl-C stops.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@feedback_group.command("export")
@click.option("--dir", "page_dir", required=True, type=click.Path(exists=True, file_okay=False),
              help="The page directory the server stored clicks in.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Prepared-data directory to write (task human-feedback); built beside it and renamed.")
@click.option("--all-test", is_flag=True, help="Put every pair in the test split (evaluation-only use).")
@click.option("--min-votes", default=None, type=click.IntRange(1),
              help="Items with fewer clicks than this are dropped (and counted) [default: the task's min_votes rule].")
@click.option("--overwrite", is_flag=True,
              help="Replace OUT only if an earlier `feedback export` made it (never the page, nor another folder).")
def export_cmd(page_dir, out_dir, all_test, min_votes, overwrite):
    """Turn clicks into preference pairs (majority vote per item) and report agreement with the evaluator."""
    from pathlib import Path

    from rmbench.errors import RmbenchError
    from rmbench.feedback.export import export_feedback

    if Path(out_dir).resolve() == Path(page_dir).resolve():
        raise click.UsageError("--out is the page directory itself; write the export somewhere else")
    from rmbench.cli import debugging

    try:
        entry = export_feedback(page_dir, out_dir, all_test=all_test, min_votes=min_votes, overwrite=overwrite)
    except (RmbenchError, FileNotFoundError) as e:
        if debugging():
            raise
        raise click.ClickException(str(e)) from None
    s = entry["splits"]
    click.echo(f"{entry['clicks']['seen']} clicks -> {entry['pairs']['kept']} pairs "
               f"(train {s['train']['pairs']}, validation {s['validation']['pairs']}, test {s['test']['pairs']}, "
               f"test_hard {s['test_hard']['pairs']}) in {out_dir}")
    for reason, n in entry["clicks"]["dropped"].items():
        click.echo(f"  dropped {n}: {reason}")
    a = entry["agreement_with_evaluator"]
    if a["fraction"] is None:
        click.echo("Agreement with the evaluator: no rewards on this page (write it with --reward-model).")
    else:
        click.echo(f"Agreement with the evaluator: {a['fraction']:.3f} of {a['clicks']} clicks, 95% CI {a['ci95']}")
    if entry["clicks_won_by_model"]:
        click.echo("Clicks won: " + ", ".join(f"{m} {n}" for m, n in entry["clicks_won_by_model"].items()))
