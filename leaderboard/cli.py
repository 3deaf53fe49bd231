"""``rmbench submit`` and ``rmbench leaderboard ...``: the command-line faces of this package."""

from __future__ import annotations

from pathlib import Path

import click

from rmbench.leaderboard.store import PACKAGE_DIR, default_dir, submission_files, submissions_dir
from rmbench.console import quiet_option
from rmbench.errors import RmbenchError, did_you_mean

BOARD_OPTION = click.option(
    "--leaderboard-dir", "board", type=click.Path(file_okay=False, path_type=Path), default=None,
    envvar="RMBENCH_LEADERBOARD_DIR",
    help="Leaderboard folder (tracks.json, submissions/). Default: this checkout's leaderboard/.")


def _board(board: Path | None, for_writing: bool = False) -> Path:
    return board if board is not None else default_dir(for_writing)


def _fail(err: Exception) -> None:
    from rmbench.cli import debugging

    if debugging():
        raise err
    raise click.ClickException(str(err))


@click.command("submit")
@click.argument("run_dir", type=click.Path(exists=True, path_type=Path))
@click.option("--name", required=True, help="Leaderboard name: lower-case a-z 0-9 . _ - (becomes a file name and URL).")
@click.option("--organization", default=None, help="Team or company shown beside the name.")
@click.option("--url", default=None, help="http(s) link to the model card, code or paper.")
@click.option("--track", default=None, help="Track to submit to (default: the one whose frozen test sets the run used).")
@click.option("--plot", "plots", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Extra PNG to embed (e.g. a sweep's transfer heatmap); RUN_DIR/plots/*.png are always included.")
@click.option("--best-of-n", "best_of_n", default=None, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="An `rmbench agent bon` run of this reward model: shown in the Best-of-N column (recomputed, not ranked).")
@click.option("--push-to-hub", "hub_repo", default=None, metavar="REPO",
              help="Also upload the submission to this Hugging Face dataset repo (needs HF_TOKEN or a login).")
@BOARD_OPTION
def submit_cmd(run_dir, name, organization, url, track, plots, best_of_n, hub_repo, board):
    """Validate a run's results.json and add it to the leaderboard.

    Writes leaderboard/submissions/NAME.json (atomically) only when every check passes;
    otherwise lists every problem and writes nothing.
    """
    from rmbench.leaderboard.submission import SubmitInfo, build_submission, format_problems, push_to_hub
    from rmbench.atomic import write_json
    from rmbench.leaderboard.tracks import load_tracks
    from rmbench.leaderboard.validate import validate_submission

    try:
        board = _board(board, for_writing=True)
        tracks = load_tracks(board)
        sub, skipped = build_submission(run_dir, SubmitInfo(name, organization, url, track), tracks, plots,
                                        best_of_n=best_of_n)
    except RmbenchError as e:
        _fail(e)
    for s in skipped:
        click.echo(f"plot left out: {s}", err=True)
    taken = {p.stem.lower() for p in submission_files(board)}
    problems = validate_submission(sub, tracks, taken_names=taken)
    if problems:
        raise click.ClickException(f"{run_dir} cannot be submitted ({len(problems)} problem(s)):\n"
                                   + format_problems(problems))
    path = submissions_dir(board) / f"{name}.json"
    write_json(path, sub)
    click.echo(f"added {path} (track {sub['track']}, {len(sub['plots'])} plot(s))")
    if hub_repo:
        try:
            info = push_to_hub(path, hub_repo)
        except Exception as e:  # network, auth, missing repo: the local file stays valid
            raise click.ClickException(f"saved locally, but the upload to {hub_repo} failed: {e}") from None
        click.echo(f"uploaded to {hub_repo} (dataset) as submissions/{path.name}: {getattr(info, 'commit_url', info)}")


@click.group("leaderboard")
def leaderboard_group():
    """Validate, show, verify and build the leaderboard.

    \b
    Typical flow:
      rmbench leaderboard freeze --data prepared/ --track demo --holdout writingprompts
      rmbench submit runs/x --name my-model
      rmbench leaderboard validate
      rmbench leaderboard show --format markdown
      rmbench leaderboard build --out site/
    """


@leaderboard_group.command("validate")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@BOARD_OPTION
def validate_cmd(files, board):
    """Check submission FILES (default: every file in leaderboard/submissions/).

    Lists every problem of every file; exits 1 if any file has one.
    """
    from rmbench.leaderboard.tracks import load_tracks
    from rmbench.leaderboard.validate import validate_files

    board = _board(board)
    try:
        tracks = load_tracks(board)
    except RmbenchError as e:
        _fail(e)
    given = [Path(f) for f in files] or submission_files(board)
    resolved = {p.resolve() for p in given}
    # A file checked from outside the board must not reuse a name already on it.
    taken = {p.stem.lower() for p in submission_files(board) if p.resolve() not in resolved}
    report = validate_files(given, tracks, taken_names=taken)
    bad = {p: probs for p, probs in report.items() if probs}
    for path, probs in report.items():
        click.echo(f"{'FAIL' if probs else 'ok  '} {path}")
        for p in probs:
            click.echo(f"       - [{p.rule}] {p.where}: {p.message}")
    click.echo(f"{len(report) - len(bad)} valid, {len(bad)} invalid, against {len(tracks)} track(s) in {board}")
    if bad:
        raise SystemExit(1)


@leaderboard_group.command("show")
@click.option("--sort", default=None, metavar="COLUMN",
              help="Column to sort by: rank (default), model, parameters, mean (heldout_all), mean_hard (heldout_all_hard), margin, date, TASK/SPLIT (e.g. askacademia/heldout_all).")
@click.option("--reverse", is_flag=True, help="Reverse the order.")
@click.option("--format", "fmt_name", type=click.Choice(["table", "tsv", "markdown", "csv", "json"]), default="table",
              show_default=True, help="table: for people (one line per row when piped); markdown; tsv, csv, json: for "
                                      "programs (rounded as shown, intervals as _low/_high columns, units in the names).")
@click.option("--track", default=None, help="Only this track (default: all).")
@BOARD_OPTION
def show_cmd(sort, reverse, fmt_name, track, board):
    """Print the ranked leaderboard: held-out accuracy per task, mean, margin over the best baseline."""
    from rmbench.leaderboard.ranking import load_board
    from rmbench.leaderboard.render import render, sort_keys

    board = _board(board)
    try:
        b = load_board(board, only_track=track, warn=lambda m: click.echo(m, err=True))
    except RmbenchError as e:
        _fail(e)
    if track is not None and track not in b.tracks:
        raise click.BadParameter(f"{track!r} is not a track (tracks: {', '.join(b.tracks) or 'none'}).{did_you_mean(track, b.tracks)}",
                                 param_hint="--track")
    if not b.rows:
        click.echo(f"{board} has no tracks yet: `rmbench leaderboard freeze` makes one from prepared data", err=True)
        return
    keys = sort_keys([b.tracks[n] for n in b.rows])
    if sort is not None and sort not in keys:
        hint = did_you_mean(sort, keys)
        raise click.BadParameter(f"{sort!r} is not a column." + (hint or f" Choose from {', '.join(keys)}"),
                                 param_hint="--sort")
    click.echo(render(b, fmt_name, sort, reverse), nl=False)


@leaderboard_group.command("build")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("site"), show_default=True,
              help="Folder for the static site (replaced atomically; only if an earlier build made it).")
@click.option("--contributing", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Markdown file for the how-to-submit page (default: the checkout's CONTRIBUTING.md).")
@BOARD_OPTION
def build_cmd(out, contributing, board):
    """Build the static site: sortable rankings, a page per submission, how to submit."""
    from rmbench.leaderboard.ranking import load_board
    from rmbench.leaderboard.site import build_site

    board = _board(board)
    if contributing is None:  # the board's checkout, else the checkout rmbench runs from
        candidates = [board.parent / "CONTRIBUTING.md", PACKAGE_DIR.parent / "CONTRIBUTING.md"]
        contributing = next((c for c in candidates if c.is_file()), None)
    try:
        b = load_board(board, warn=lambda m: click.echo(m, err=True))
        counts = build_site(b, out, contributing, board_dir=board)
    except RmbenchError as e:
        _fail(e)
    click.echo(f"built {out / 'index.html'}: {counts['tracks']} track(s), {counts['submissions']} submission page(s)")


@leaderboard_group.command("freeze")
@click.option("--data", "data_dir", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A prepared data directory (rmbench prepare --out DIR).")
@click.option("--track", "name", required=True, help="Track name, e.g. demo or reddit-college.")
@click.option("--holdout", "holdout", multiple=True, required=True,
              help="Held-out task every submission must be scored on (repeat for several).")
@click.option("--label", default=None, help="What the data is, shown beside every entry (default: the source spec).")
@click.option("--replace", is_flag=True, help="Allow changing an existing track's test sets (its submissions become invalid).")
@click.option("--splits", default="heldout_all,heldout_all_hard,test,test_hard", show_default=True,
              help="Held-out splits the track freezes, comma-separated; the first ranks, the second breaks ties.")
@BOARD_OPTION
def freeze_cmd(data_dir, name, holdout, label, replace, splits, board):
    """Record a track's test sets (versions, counts, fingerprints) from a prepared manifest into tracks.json."""
    from rmbench.leaderboard.store import read_json
    from rmbench.leaderboard.tracks import freeze

    board = _board(board, for_writing=True)
    try:
        spec = (read_json(data_dir / "manifest.json") or {}).get("source", {}).get("spec", "") \
            if (data_dir / "manifest.json").is_file() else ""
        track, what = freeze(board, data_dir, name, [h.lower() for h in holdout], label or spec or name, replace,
                             tuple(x.strip() for x in splits.split(",") if x.strip()))
    except RmbenchError as e:
        _fail(e)
    sizes = ", ".join(f"{t} {s}={track.pairs(t, s)}" for t in track.heldout_tasks for s in track.splits)
    click.echo(f"track {name}: {what} ({'synthetic' if track.synthetic else 'real'} data; {sizes})")
    if what.startswith("replaced"):
        click.echo("existing submissions on this track are now invalid: `rmbench leaderboard validate` lists them", err=True)


@leaderboard_group.command("verify")
@quiet_option(expose=False)
@click.argument("name")
@click.option("--data", "data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Prepared data matching the track (default: re-prepare the demo for synthetic tracks).")
@click.option("--model", "model", default=None,
              help="Model directory or hub id to re-score (default: the submission's model id).")
@click.option("--eval-batch-size", default=0, show_default=True, type=click.IntRange(0),
              help="Sequences per scoring batch; 0: the device's default, 8 on a CPU, 64 on a GPU (results do not depend on it).")
@click.option("--record", is_flag=True,
              help="On a pass, note it in leaderboard/verified.json: the board shows the entry as verified.")
@BOARD_OPTION
def verify_cmd(name, data_dir, model, eval_batch_size, record, board):
    """Re-score a submission's model on its track's test sets; exit 1 unless every per-pair reward
    matches its submitted prediction (within the documented tolerance) and the weights match."""
    from rmbench.leaderboard.verify import print_report, record as record_pass, verify_submission

    board = _board(board, for_writing=record)
    try:
        report = verify_submission(board, name, data_dir=data_dir, model=model, batch_size=eval_batch_size)
    except RmbenchError as e:
        _fail(e)
    print_report(report)
    if not report.reproduced:
        raise SystemExit(1)
    if record:
        click.echo(f"recorded in {record_pass(board, report)}")
