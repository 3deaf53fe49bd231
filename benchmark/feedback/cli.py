"""``rmbench feedback``: serve the comparison page locally and export the clicks as pairs."""

from __future__ import annotations

import click


@click.group("feedback")
def feedback_group():
    """Collect human story preferences on a local rater page and export them as preference pairs.

    \b
    rmbench agent compare --agent A --generator G --data D --reward-model EVAL --out page/
    rmbench feedback serve --dir page/     # raters sign in with a name, answer A / B / tie / both bad / skip
    rmbench feedback export --dir page/ --out human/
    rmbench evaluate --model RM --data human/ --tasks human-feedback

    \b
    Each rater answers each comparison once (the server refuses a second vote). On export a tie
    or "both bad" gives each story half a vote, a skip is dropped and counted, and every vote
    with its rater goes to human/human-feedback/votes.jsonl. /admin (this machine only) shows
    votes per item, raters and inter-rater agreement while the page is live.
    """


@feedback_group.command("serve")
@click.option("--dir", "page_dir", required=True, type=click.Path(exists=True, file_okay=False),
              help="A page written by `rmbench agent compare`.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="Port on 127.0.0.1 (0: any free port). The server never listens on other interfaces and "
                   "answers only requests addressed to 127.0.0.1:PORT or localhost:PORT (tunnel to the same port).")
def serve_cmd(page_dir, port):
    """Serve the rater page on 127.0.0.1; each vote goes to DIR/private/clicks.sqlite.

    Raters give a name or token before the first item; keys A/B/T/X/S (or 1-5) answer.
    URL/admin shows votes per item, raters and inter-rater agreement to this machine only.
    """
    from rmbench.errors import RmbenchError
    from rmbench.feedback.page import db_path, require_page
    from rmbench.feedback.server import FeedbackServer

    try:
        require_page(page_dir)
        server = FeedbackServer(page_dir, port)
    except RmbenchError as e:
        raise click.ClickException(str(e)) from None
    except FileNotFoundError as e:
        raise click.ClickException(f"{page_dir} is not a feedback page: {e}") from None
    except OSError as e:
        raise click.ClickException(f"cannot listen on 127.0.0.1:{port}: {e}") from None
    click.echo(f"Serving {len(server.items)} comparisons at {server.url} (votes -> {db_path(page_dir)}); "
               f"admin: {server.url}admin (this machine only); Ctrl-C stops.")
    import signal

    def stop(signum, frame):  # SIGTERM (kill, systemd, a job's end) stops as Ctrl-C does: counts printed
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if server.rejected:  # bad requests are never silent
            click.echo("Refused requests: " + ", ".join(f"{k} {n}" for k, n in sorted(server.rejected.items())), err=True)


@feedback_group.command("export")
@click.option("--dir", "page_dir", required=True, type=click.Path(exists=True, file_okay=False),
              help="The page directory the server stored clicks in.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Prepared-data directory to write (task human-feedback); built beside it and renamed.")
@click.option("--split-by", "split_by", type=click.Choice(["test", "hash"]), default="test", show_default=True,
              help="test: every pair in the test split (human labels are for evaluation); "
                   "hash: train/validation/test by a hash of the item id, as prepare splits posts.")
@click.option("--all-test", is_flag=True, hidden=True, help="Older spelling of --split-by test (the default).")
@click.option("--min-votes", default=None, type=click.IntRange(1),
              help="Items with fewer answers than this (A, B, tie, both bad; skips do not count) are dropped "
                   "and counted [default: the task's min_votes rule].")
@click.option("--overwrite", is_flag=True,
              help="Replace OUT only if an earlier `feedback export` made it (never the page, nor another folder).")
def export_cmd(page_dir, out_dir, split_by, all_test, min_votes, overwrite):
    """Turn votes into preference pairs (majority per item) and report rater and evaluator agreement.

    \b
    A / B: a whole vote for that story; tie and both bad: half a vote to each story (never
    changes the winner; counts toward --min-votes and lowers score_ratio); skip: dropped and
    counted. Items whose sides are level are dropped and counted (tied_votes). OUT also holds
    votes.jsonl (every vote with its rater) and models.jsonl (which model wrote each story).
    """
    from pathlib import Path

    from rmbench.errors import RmbenchError
    from rmbench.feedback.export import export_feedback

    if Path(out_dir).resolve() == Path(page_dir).resolve():
        raise click.UsageError("--out is the page directory itself; write the export somewhere else")
    from rmbench.cli import debugging

    try:
        entry = export_feedback(page_dir, out_dir, split_by="test" if all_test else split_by, min_votes=min_votes,
                                overwrite=overwrite)
    except (RmbenchError, FileNotFoundError) as e:
        if debugging():
            raise
        raise click.ClickException(str(e)) from None
    s = entry["splits"]
    c = entry["clicks"]
    click.echo(f"{c['seen']} votes from {c['raters']} raters ("
               + ", ".join(f"{k} {n}" for k, n in c["choices"].items()) + f") -> {entry['pairs']['kept']} pairs "
               f"(train {s['train']['pairs']}, validation {s['validation']['pairs']}, test {s['test']['pairs']}, "
               f"test_hard {s['test_hard']['pairs']}) in {out_dir}")
    for reason, n in c["dropped"].items():
        click.echo(f"  dropped {n}: {reason}")
    if c["legacy_anonymous"]:
        click.echo(f"  {c['legacy_anonymous']} votes stored before raters existed: rater anonymous-<browser session>")
    r = entry["rater_agreement"]
    alpha = "-" if r["krippendorff_alpha"] is None else f"{r['krippendorff_alpha']:.3f}"
    same = "-" if r["percent_agreement"] is None else f"{r['percent_agreement']:.3f}"
    click.echo(f"Inter-rater agreement on {r['items']} items with 2+ answers: {same} of rater pairs agree, "
               f"Krippendorff's alpha {alpha}")
    a = entry["agreement_with_evaluator"]
    if a["fraction"] is None:
        click.echo("Agreement with the evaluator: no rewards on this page (write it with --reward-model).")
    else:
        click.echo(f"Agreement with the evaluator: {a['fraction']:.3f} of {a['clicks']} A/B votes, 95% CI {a['ci95']}")
    if entry["clicks_won_by_model"]:
        click.echo("Votes won (ties half): " + ", ".join(f"{m} {n}" for m, n in entry["clicks_won_by_model"].items()))
