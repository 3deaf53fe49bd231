"""Turning a run directory into a leaderboard submission, and sending it to the hub.

A submission is one self-contained JSON file: the run's ``results.json`` unchanged, who
submitted it, its track, its plots embedded as base64 PNG, and its per-pair predictions on
the track's held-out test sets (from the run's ``predictions.jsonl``, compressed:
``rmbench.leaderboard.frozen``), from which validate recomputes every number. One file means
it ships as package data, uploads as one hub file, and can never lose its plots on the way.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from rmbench import __version__
from rmbench.leaderboard.names import name_problems
from rmbench.errors import LeaderboardError
from rmbench.leaderboard.store import read_json
from rmbench.leaderboard.tracks import Track
from rmbench.leaderboard.validate import MAX_PLOT_BYTES, PNG_MAGIC, Problem, results_problems

MAX_PLOTS = 8  # learning curve, transfer heatmap, calibration, by-ratio, ... with room to spare
SCHEMA_VERSION = 2  # 2: per-pair predictions, so every number can be recomputed
MAX_RESULTS_BYTES = 1024 * 1024


@dataclass
class SubmitInfo:
    """Who submits, and under which name."""

    name: str = field(metadata={"help": "leaderboard name: a-z 0-9 . _ - (file and URL safe)"})
    organization: str | None = field(default=None, metadata={"help": "team or company, shown beside the name"})
    url: str | None = field(default=None, metadata={"help": "http(s) link to the model or paper"})
    track: str | None = field(default=None, metadata={"help": "track to submit to (default: the one whose test sets the run used)"})


def find_results(run: Path) -> Path:
    path = run / "results.json" if run.is_dir() else run
    if not path.is_file():
        raise LeaderboardError(f"{run}: no results.json (give a run directory written by `rmbench run` or `rmbench evaluate`)")
    return path


def collect_plots(run: Path, extra: list[Path] = ()) -> tuple[dict, list[str]]:
    """PNG files from ``RUN/plots/`` plus ``extra``, embedded; and why any were left out."""
    candidates = sorted((run / "plots").glob("*.png")) if run.is_dir() and (run / "plots").is_dir() else []
    candidates += list(extra)
    plots, skipped = {}, []
    for p in candidates:
        key = p.name.lower()
        stem_problems = name_problems(key[:-4] if key.endswith(".png") else key, "plot name")
        if not key.endswith(".png") or stem_problems:
            skipped.append(f"{p}: not a safely named .png ({'; '.join(stem_problems) or 'wrong extension'})")
            continue
        raw = p.read_bytes()
        if not raw.startswith(PNG_MAGIC):
            skipped.append(f"{p}: not a PNG image")
        elif len(raw) > MAX_PLOT_BYTES:
            skipped.append(f"{p}: {len(raw)} bytes, over the {MAX_PLOT_BYTES}-byte limit")
        elif key in plots:
            skipped.append(f"{p}: a plot named {key} is already included")
        elif len(plots) >= MAX_PLOTS:
            skipped.append(f"{p}: at most {MAX_PLOTS} plots per submission")
        else:
            plots[key] = {"sha256": hashlib.sha256(raw).hexdigest(), "bytes": len(raw),
                          "png_base64": base64.b64encode(raw).decode("ascii")}
    return plots, skipped


def collect_predictions(run: Path, track: Track | None) -> dict:
    """The block of RUN/predictions.jsonl rows on ``track``'s held-out test splits."""
    from rmbench.jsonlimits import JSONLimitError, loads_bounded
    from rmbench.leaderboard.frozen import pack

    path = (run if run.is_dir() else run.parent) / "predictions.jsonl"
    if not path.is_file():
        raise LeaderboardError(f"{path}: missing; `rmbench run` and `rmbench evaluate` write it beside results.json, "
                               "and the leaderboard recomputes every number from it")
    wanted = {(t, s) for t in track.heldout_tasks for s in track.splits} if track else set()
    rows = []
    with open(path, "rb") as f:
        for i, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = loads_bounded(line, max_bytes=4096, max_depth=2)  # {"truncated": {side: bool}} is the one nested field
            except JSONLimitError as e:
                raise LeaderboardError(f"{path}: line {i}: {e}") from None
            if isinstance(row, dict) and (row.get("task"), row.get("split")) in wanted:
                rows.append(row)
    return pack(submitted_rows(rows))


def submitted_rows(rows: list[dict]) -> list[dict]:
    """predictions.jsonl rows as a submission holds them, in pair order: the rewards, and the
    scorer's cut flags (its ``truncated``) in every row or, where one row lacks them, in none
    (a baseline reads no tokens)."""
    from rmbench.leaderboard.frozen import CUT_KEYS, PREDICTION_KEYS

    out = [{k: row.get(k) for k in PREDICTION_KEYS} for row in rows]
    cuts = [row.get("truncated") for row in rows]
    if all(isinstance(c, dict) and all(isinstance(c.get(k), bool) for k in ("chosen", "rejected")) for c in cuts):
        for r, c in zip(out, cuts):
            r.update({CUT_KEYS[0]: c["chosen"], CUT_KEYS[1]: c["rejected"]})
    out.sort(key=lambda r: (r["task"], r["split"], str(r["pair_id"])))
    return out


def choose_track(results: dict, tracks: dict[str, Track], wanted: str | None) -> str:
    """The named track, or the only one the results' test sets match."""
    if wanted is not None:
        return wanted
    if not tracks:
        raise LeaderboardError("the leaderboard has no tracks yet: run `rmbench leaderboard freeze` first")
    fits = [name for name, t in tracks.items() if not results_problems(results, t)]
    if len(fits) == 1:
        return fits[0]
    if len(fits) > 1:
        raise LeaderboardError(f"the run fits tracks {fits}; pick one with --track")
    # No track fits. One that holds out what the run held out, on the same kind of data, is what
    # the user meant: submit to the closest such, so the error lists exactly what differs there.
    held = {t for t, e in (results.get("results") or {}).items() if isinstance(e, dict) and e.get("role") == "heldout"}
    near = [name for name, t in tracks.items()
            if set(t.heldout_tasks) <= held and t.synthetic is results.get("synthetic_data")]
    if near:
        return min(near, key=lambda name: len(results_problems(results, tracks[name])))
    kind = {True: "synthetic", False: "real"}.get(results.get("synthetic_data"), "unlabelled")
    listed = "; ".join(f"{name} holds out {', '.join(t.heldout_tasks)} ({'synthetic' if t.synthetic else 'real'} data)"
                       for name, t in sorted(tracks.items()))
    raise LeaderboardError(f"no track fits this run: it holds out {', '.join(sorted(held)) or 'no task'} on {kind} data, "
                           f"and the tracks are: {listed}. Freeze a track for it (`rmbench leaderboard freeze --data "
                           "PREPARED --track NAME --holdout TASK`), or name one with --track to see every difference")


def build_submission(run: Path, info: SubmitInfo, tracks: dict[str, Track],
                     extra_plots: list[Path] = (), now: dt.datetime | None = None,
                     best_of_n: Path | None = None) -> tuple[dict, list[str]]:
    """``best_of_n``: an `rmbench agent bon` run of the same reward model to attach (its column)."""
    results_path = find_results(run)
    results = read_json(results_path, max_bytes=MAX_RESULTS_BYTES)
    if not isinstance(results, dict):
        raise LeaderboardError(f"{results_path}: not a JSON object")
    plots, skipped = collect_plots(run, list(extra_plots))
    now = now or dt.datetime.now(dt.timezone.utc)
    track = choose_track(results, tracks, info.track)
    sub = {
        "kind": "rmbench.submission", "schema_version": SCHEMA_VERSION,
        "name": info.name, "organization": info.organization, "url": info.url,
        "track": track,
        "submitted_utc": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "submitted_with": __version__,
        "results": results,
        "plots": plots,
        "predictions": collect_predictions(results_path.parent, tracks.get(track)),
    }
    if best_of_n is not None:
        from rmbench.leaderboard.bestofn import bon_block

        sub["best_of_n"] = bon_block(Path(best_of_n))
    return sub, skipped


def push_to_hub(path: Path, repo: str, api=None, token: str | None = None):
    """Upload ``path`` to ``submissions/<name>.json`` of hub dataset ``repo``.

    ``api`` is an ``huggingface_hub.HfApi`` (tests pass a stand-in); the token comes from
    ``HF_TOKEN`` or ``huggingface-cli login`` when not given.
    """
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi(token=token)
    return api.upload_file(
        path_or_fileobj=path.read_bytes(),
        path_in_repo=f"submissions/{path.name}",
        repo_id=repo,
        repo_type="dataset",
        commit_message=f"Add leaderboard submission {path.stem}",
    )


def format_problems(problems: list[Problem]) -> str:
    return "\n".join(f"  - {p}" for p in problems)
