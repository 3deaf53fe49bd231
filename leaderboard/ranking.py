"""The ranking: one aggregation function, applied to numbers recomputed from the predictions.

:func:`heldout_mean` is the leaderboard's score — the unweighted mean of ``heldout_all``
accuracy (every post of a held-out task; a track frozen on test alone: ``test``) over the
track's held-out tasks (each task counts once, whatever its size, so a big community cannot
drown a small one; a too-small split counts in no mean), as ``rmbench.eval.results.summary``
computes it from the accuracies validate recomputed (``rmbench.leaderboard.recompute``); a
submitted number is never shown. Ties are broken by the same mean on the track's second
split (``heldout_all_hard``), then by name. The margin
is the score minus the mean of each task's best baseline *as the track froze it*, so every
entry on a track stands beside the same baselines. Baseline entries are shown for
reference and never ranked. An entry whose file ``rmbench leaderboard verify --record``
re-scored carries the badge "verified", any other "self-reported".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from rmbench.leaderboard.groups import assign_groups
from rmbench.leaderboard.store import read_json, submission_files
from rmbench.leaderboard.tracks import Track, load_tracks
from rmbench.leaderboard.validate import Problem, check_file

VERIFIED_FILE = "verified.json"  # name -> sha256 of the submission file `verify --record` re-scored


def heldout_mean(numbers, split: str = "heldout_all") -> float | None:
    """THE ranking score: mean recomputed accuracy on ``split`` over the track's held-out tasks
    (too-small splits left out, as ``rmbench.eval.results.summary`` does)."""
    if numbers is None:
        return None
    if split in ("test", "test_hard"):
        return numbers.summary.get("heldout_mean_accuracy" if split == "test" else "heldout_mean_accuracy_hard")
    return ((numbers.summary.get("headline") or {}).get(split) or {}).get("mean_accuracy")


def best_baseline(track: Track, split: str = "heldout_all") -> tuple[str | None, float | None]:
    """The track's frozen best baseline per held-out task, and the mean of their accuracies."""
    names, accs = [], []
    for t in track.heldout_tasks:
        b = track.baselines(t, split) if split in track.splits else None
        if not b or not b["best"]:
            return None, None
        names.append(b["best"])
        accs.append(b["table"][b["best"]]["accuracy"])
    return ("/".join(dict.fromkeys(names)), sum(accs) / len(accs)) if accs else (None, None)


def verified(board: Path) -> dict[str, str]:
    """name -> sha256 of the file verify re-scored (an edited file loses its badge)."""
    path = board / VERIFIED_FILE
    doc = read_json(path) if path.is_file() else {}
    entries = doc.get("entries") if isinstance(doc, dict) else None
    return {k: v.get("submission_sha256") for k, v in (entries or {}).items() if isinstance(v, dict)}


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
    badge: str = "self-reported"  # "verified": `rmbench leaderboard verify --record` re-scored this file
    splits: dict = field(default_factory=dict)  # "task/split" -> the recomputed card (pages show it)
    group: int | None = None  # rank group (rmbench.leaderboard.groups); None: not ranked
    vs_next: dict | None = None  # this row's score minus the next ranked row's, with its 95% interval
    best_of_n: dict | None = None  # recomputed `rmbench agent bon` win rate (rmbench.leaderboard.bestofn); not ranked


def make_row(sub: dict, track: Track, numbers, badge: str = "self-reported") -> Row:
    res = sub["results"]
    row = Row(track=track.name, name=sub["name"], organization=sub.get("organization"), url=sub.get("url"),
              model=res["model"]["id"], kind=res["model"]["kind"], parameters=res["model"].get("parameters"),
              date=sub["submitted_utc"][:10], data=track.label, synthetic=bool(res.get("synthetic_data")),
              badge=badge)
    for t in track.heldout_tasks:
        for s in track.splits:
            card = numbers.splits.get((t, s)) or {}
            row.splits[f"{t}/{s}"] = card
            row.accuracy[f"{t}/{s}"] = card.get("accuracy")
            row.ci95[f"{t}/{s}"] = card.get("ci95")
    row.mean = heldout_mean(numbers, track.splits[0])
    row.mean_hard = heldout_mean(numbers, track.splits[1]) if len(track.splits) > 1 else None
    row.best_baseline, row.best_baseline_mean = best_baseline(track, track.splits[0])
    row.note = unranked_reason(sub, track)
    if isinstance(sub.get("best_of_n"), dict):
        from rmbench.leaderboard.bestofn import recompute

        row.best_of_n = recompute(sub["best_of_n"])
        row.ci95["best_of_n"] = row.best_of_n["ci95"]
    if row.mean is not None and row.best_baseline_mean is not None:
        row.margin = row.mean - row.best_baseline_mean
    return row


LABEL_LEAK = "label leak: each response's posting delay was an input, and the pairing rule makes it the label"


def unranked_reason(sub: dict, track: Track) -> str:
    """Entries shown for reference but never ranked: every baseline (and one right by
    construction of the pairing rule says so), or a run the harness flagged (e.g. response
    delays that leak the label)."""
    from rmbench.run.plan import DELAY_FLAG

    res = sub["results"]
    reasons = [LABEL_LEAK if f == DELAY_FLAG else str(f) for f in res.get("flags") or []]
    if res["model"]["kind"] == "baseline":
        name = res["model"]["id"].split(":", 1)[-1]
        frozen = [(track.baselines(t, "test")["table"].get(name) or {}) for t in track.heldout_tasks]
        reasons.append("baseline, for reference" + (": right by construction of the pairing rule"
                                                    if any(b.get("by_construction") for b in frozen) else ""))
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
    """Check every submission (recomputing its numbers) and rank the valid ones within their
    track; invalid files are reported, not shown, and one bad file never stops the rest."""
    tracks = load_tracks(board)
    badges = verified(board)
    invalid: dict[Path, list[Problem]] = {}
    subs, numbers = {}, {}
    seen: set[str] = set()
    for path in submission_files(board):
        problems, nums, sub = check_file(path, tracks, taken_names=seen)
        seen.add(path.stem.lower())
        if problems:
            invalid[path] = problems
        else:
            subs[path.stem], numbers[path.stem] = sub, nums
    if invalid and warn is not None:
        warn(f"skipped {len(invalid)} invalid submission(s) (`rmbench leaderboard validate` says why): "
             + ", ".join(p.name for p in invalid))
    rows: dict[str, list[Row]] = {}
    for name, t in tracks.items():
        if only_track is not None and name != only_track:
            continue
        rows[name] = rank([make_row(s, t, numbers[k], _badge(board, k, badges)) for k, s in subs.items()
                           if s["track"] == name])
        frozen = t.baselines(t.heldout_tasks[0], t.splits[0]) if t.heldout_tasks else {}
        stem = {s["name"]: k for k, s in subs.items()}  # validate makes them equal; the file is the key
        assign_groups(t, rows[name], {r.name: numbers[stem[r.name]].outcomes for r in rows[name]},
                      int((frozen.get("eval") or {}).get("bootstrap_samples", 1000)), int(frozen.get("seed", 0)))
    return Board(tracks=tracks, rows=rows, submissions=subs, invalid=invalid)


def _badge(board: Path, name: str, badges: dict[str, str]) -> str:
    path = board / "submissions" / f"{name}.json"
    sha = hashlib.sha256(path.read_bytes()).hexdigest() if name in badges else None
    return "verified" if sha is not None and sha == badges[name] else "self-reported"
