"""The ranking: one aggregation function, applied to the numbers in the submissions.

:func:`heldout_mean` is the leaderboard's score — the unweighted mean of ``test`` accuracy
over the track's held-out tasks (each task counts once, whatever its size, so a big
community cannot drown a small one). Ties are broken by the same mean on ``test_hard``,
then by name. The margin over the best baseline is the score minus the mean, over the same
tasks, of each task's best baseline as the harness named it (its own results; baselines
that win by construction are not candidates).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rmbench.leaderboard.store import read_json, submission_files
from rmbench.leaderboard.tracks import Track, load_tracks
from rmbench.leaderboard.validate import Problem, validate_files


def _acc(sub: dict, task: str, split: str) -> float | None:
    sp = ((sub["results"]["results"].get(task) or {}).get("splits") or {}).get(split) or {}
    return sp.get("accuracy")


def _mean(values: list[float | None]) -> float | None:
    return None if not values or any(v is None for v in values) else sum(values) / len(values)


def heldout_mean(sub: dict, track: Track, split: str = "test") -> float | None:
    """THE ranking score: mean accuracy on ``split`` over the track's held-out tasks."""
    return _mean([_acc(sub, t, split) for t in track.heldout_tasks])


def best_baseline(sub: dict, track: Track, split: str = "test") -> tuple[str | None, float | None]:
    """The best baseline per held-out task, as the harness named it, and the mean of their accuracies.

    The harness's ``best_baseline`` leaves out baselines that win by construction (later-wins
    is 100% under the later-but-higher pairing rule); when a split lacks the field, the
    highest-scoring baseline stands in.
    """
    names, accs = [], []
    for t in track.heldout_tasks:
        sp = ((sub["results"]["results"].get(t) or {}).get("splits") or {}).get(split) or {}
        baselines = {b: (v or {}).get("accuracy") for b, v in (sp.get("baselines") or {}).items()}
        baselines = {b: a for b, a in baselines.items() if a is not None}
        name = sp.get("best_baseline")
        if name not in baselines:
            name = max(sorted(baselines), key=lambda b: baselines[b]) if baselines else None
        if name is None:
            return None, None
        names.append(name)
        accs.append(baselines[name])
    if not accs:
        return None, None
    return "/".join(dict.fromkeys(names)), sum(accs) / len(accs)


@dataclass
class Row:
    track: str
    name: str
    rank: int | None = None
    organization: str | None = None
    url: str | None = None
    model: str = ""
    kind: str = ""
    parameters: int | None = None
    accuracy: dict[str, float | None] = field(default_factory=dict)  # "task/split" -> accuracy
    ci95: dict[str, list | None] = field(default_factory=dict)
    mean: float | None = None
    mean_hard: float | None = None
    best_baseline: str | None = None
    best_baseline_mean: float | None = None
    margin: float | None = None
    date: str = ""
    data: str = ""
    synthetic: bool = False
    note: str = ""  # why the row is shown but not ranked (empty: ranked)


def make_row(sub: dict, track: Track) -> Row:
    res = sub["results"]
    row = Row(track=track.name, name=sub["name"], organization=sub.get("organization"), url=sub.get("url"),
              model=res["model"]["id"], kind=res["model"]["kind"], parameters=res["model"].get("parameters"),
              date=sub["submitted_utc"][:10], data=track.label, synthetic=bool(res.get("synthetic_data")))
    for t in track.heldout_tasks:
        for s in track.splits:
            sp = ((res["results"].get(t) or {}).get("splits") or {}).get(s) or {}
            row.accuracy[f"{t}/{s}"] = sp.get("accuracy")
            row.ci95[f"{t}/{s}"] = sp.get("ci95")
    row.mean = heldout_mean(sub, track)
    row.mean_hard = heldout_mean(sub, track, "test_hard") if "test_hard" in track.splits else None
    row.best_baseline, row.best_baseline_mean = best_baseline(sub, track)
    row.note = unranked_reason(sub, track)
    if row.mean is not None and row.best_baseline_mean is not None:
        row.margin = row.mean - row.best_baseline_mean
    return row


def unranked_reason(sub: dict, track: Track) -> str:
    """Entries shown for reference but never ranked: a baseline that is right by construction
    of the pairing rule (later-wins under later-but-higher pairing), or a run the harness
    flagged (e.g. response delays that leak the label)."""
    res = sub["results"]
    reasons = [str(f) for f in res.get("flags") or []]
    if res["model"]["kind"] == "baseline":
        name = res["model"]["id"].split(":", 1)[-1]
        for t in track.heldout_tasks:
            b = ((((res["results"].get(t) or {}).get("splits") or {}).get("test") or {}).get("baselines") or {}).get(name)
            if isinstance(b, dict) and b.get("by_construction"):
                reasons.append("right by construction of the pairing rule")
                break
    return "; ".join(reasons)


def _rank_key(r: Row):
    return (-(r.mean if r.mean is not None else -1), -(r.mean_hard if r.mean_hard is not None else -1), r.name)


def rank(rows: list[Row]) -> list[Row]:
    """Sort by the score and number the rows; equal scores share a rank (1, 2, 2, 4).
    Unranked rows (see :func:`unranked_reason`) follow, without a number."""
    ranked = sorted((r for r in rows if not r.note), key=_rank_key)
    for i, r in enumerate(ranked):
        same = i > 0 and (r.mean, r.mean_hard) == (ranked[i - 1].mean, ranked[i - 1].mean_hard)
        r.rank = ranked[i - 1].rank if same else i + 1
    unranked = sorted((r for r in rows if r.note), key=_rank_key)
    for r in unranked:
        r.rank = None
    return ranked + unranked


@dataclass
class Board:
    tracks: dict[str, Track]
    rows: dict[str, list[Row]]  # track -> ranked rows
    submissions: dict[str, dict]  # name -> submission
    invalid: dict[Path, list[Problem]]


def load_board(board: Path, only_track: str | None = None, warn=None) -> Board:
    """Read every valid submission and rank it within its track; invalid files are reported, not shown."""
    tracks = load_tracks(board)
    report = validate_files(submission_files(board), tracks)
    invalid = {p: probs for p, probs in report.items() if probs}
    if invalid and warn is not None:
        warn(f"skipped {len(invalid)} invalid submission(s) (`rmbench leaderboard validate` says why): "
             + ", ".join(p.name for p in invalid))
    subs = {p.stem: read_json(p) for p, probs in report.items() if not probs}
    rows: dict[str, list[Row]] = {}
    for name, t in tracks.items():
        if only_track is not None and name != only_track:
            continue
        rows[name] = rank([make_row(s, t) for s in subs.values() if s["track"] == name])
    return Board(tracks=tracks, rows=rows, submissions=subs, invalid=invalid)
