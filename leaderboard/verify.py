"""``rmbench leaderboard verify NAME``: does a submission's accuracy reproduce?

The submitted model (or baseline) re-scores every pair of its track's test sets through
the harness (``rmbench.run.harness.score_rows``, with the run's ``max_length``, delay
setting and seed; ties count one half) and each new accuracy must fall inside the
submitted 95% interval. The data is
checked against the track's fingerprints first, and a model directory against the
submitted weights hash, so a pass means the *same* model on the *same* pairs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rmbench.errors import LeaderboardError
from rmbench.leaderboard.store import read_json, submissions_dir
from rmbench.leaderboard.tracks import Track, load_tracks


@dataclass
class Check:
    task: str
    split: str
    n: int
    submitted: float | None
    ci95: list | None
    reproduced: float | None

    @property
    def within(self) -> bool:
        if self.n == 0:
            return self.reproduced is None
        lo, hi = self.ci95 or (None, None)
        return self.reproduced is not None and lo is not None and lo - 1e-9 <= self.reproduced <= hi + 1e-9


@dataclass
class VerifyReport:
    name: str
    track: str
    model: str
    weights: str  # "match", "differ", or "not checked (...)"
    checks: list[Check] = field(default_factory=list)

    @property
    def reproduced(self) -> bool:
        return self.weights != "differ" and bool(self.checks) and all(c.within for c in self.checks)


def _check_data(data_dir: Path, track: Track) -> None:
    from rmbench.prepared.manifest import Prepared

    data = Prepared.open(data_dir)
    wrong = []
    for t in track.heldout_tasks:
        if t not in data.tasks:
            wrong.append(f"{t}: not in {data_dir}")
            continue
        if data.version(t) != track.tasks[t]["version"]:
            wrong.append(f"{t}: task version {data.version(t)!r}, track has {track.tasks[t]['version']!r}")
        fps = data.fingerprints(t)
        for s in track.splits:
            fp = fps.get(s)
            if fp != track.tasks[t]["splits"][s]["fingerprint"]:
                wrong.append(f"{t}/{s}: fingerprint {str(fp)[:12]}… is not the track's "
                             f"{track.tasks[t]['splits'][s]['fingerprint'][:12]}…")
    if wrong:
        raise LeaderboardError(f"{data_dir} does not hold track {track.name!r}'s test sets:\n  " + "\n  ".join(wrong))


def _resolve(track: Track) -> Path:
    """Re-create the track's data from its recorded source (the demo needs nothing else),
    through the harness's cache, so a second verify reuses the first one's preparation."""
    from rmbench.prepared.resolve import resolve_data

    try:
        return resolve_data(track.source, progress=False)
    except Exception as e:
        raise LeaderboardError(f"could not prepare track {track.name!r} from {track.source!r} ({e}); "
                               "pass --data with a prepared directory of it") from None


def _scorer_for(sub: dict, model: str | None, batch_size: int):
    """(reward function over rows, model label, weights verdict): the harness's scoring of rows."""
    from rmbench.eval.baselines import parse_baseline_model
    from rmbench.run.harness import score_rows

    res = sub["results"]
    cfg = res.get("config") or {}
    seed = int(cfg.get("seed", 0) or 0)
    with_delay = bool((cfg.get("data") or {}).get("with_delay"))
    baseline = parse_baseline_model(res["model"]["id"]) if res["model"]["kind"] == "baseline" else None
    if baseline is not None:
        def baseline_rewards(rows):
            saved = score_rows(baseline, rows, with_delay=with_delay, seed=seed)
            return saved["chosen"], saved["rejected"]

        return baseline_rewards, res["model"]["id"], "not checked (baseline)"
    from rmbench.model.load import weights_sha256
    from rmbench.model.scoring import RewardScorer

    target = model or res["model"]["id"]
    want = res["model"].get("weights_sha256")
    have = weights_sha256(target) if Path(target).is_dir() else None
    weights = ("not checked (no local weights)" if have is None else
               "not checked (none submitted)" if want is None else "match" if have == want else "differ")
    max_length = int(((cfg.get("model") or {}).get("max_length")) or 512)
    try:
        scorer = RewardScorer(target, max_length=max_length, batch_size=batch_size)
    except Exception as e:  # unknown alias / missing directory / hub unreachable
        raise LeaderboardError(f"cannot load model {target!r}: {e} (pass --model with the trained model directory)") from None

    def rewards(rows):
        saved = score_rows(scorer, rows, with_delay=with_delay, seed=seed)
        return saved["chosen"], saved["rejected"]

    return rewards, target, weights


def verify_submission(board: Path, name: str, data_dir: Path | None = None, model: str | None = None,
                      batch_size: int = 32) -> VerifyReport:
    from rmbench.eval.metrics import pair_outcomes
    from rmbench.prepared.load import load_split

    path = submissions_dir(board) / f"{name}.json"
    from rmbench.leaderboard.names import name_problems

    if name_problems(name) or not path.is_file():
        raise LeaderboardError(f"no submission named {name!r} in {submissions_dir(board)}")
    sub = read_json(path)
    track = load_tracks(board).get(sub.get("track"))
    if track is None:
        raise LeaderboardError(f"submission {name!r} is on track {sub.get('track')!r}, which this board does not have")
    rewards, label, weights = _scorer_for(sub, model, batch_size)
    report = VerifyReport(name=name, track=track.name, model=label, weights=weights)
    data = data_dir or _resolve(track)
    _check_data(data, track)
    for t in track.heldout_tasks:
        for s in track.splits:
            rows = load_split(data, t, s)
            submitted = sub["results"]["results"][t]["splits"].get(s) or {}
            acc = None
            if rows:
                chosen, rejected = rewards(rows)
                acc = float(pair_outcomes(chosen, rejected).mean())
            report.checks.append(Check(t, s, len(rows), submitted.get("accuracy"), submitted.get("ci95"), acc))
    return report


def print_report(report: VerifyReport, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    import sys

    console = console or Console(width=None if sys.stdout.isatty() else 120)  # captured output: do not squash
    table = Table(title=f"verify {report.name} (track {report.track}, model {report.model})")
    for col in ("task", "split", "n", "submitted", "95% CI", "re-scored", "within CI"):
        table.add_column(col, justify="left" if col in ("task", "split") else "right")
    for c in report.checks:
        ci = f"{c.ci95[0]:.4f}–{c.ci95[1]:.4f}" if c.ci95 else "—"
        table.add_row(c.task, c.split, str(c.n), "—" if c.submitted is None else f"{c.submitted:.4f}", ci,
                      "—" if c.reproduced is None else f"{c.reproduced:.4f}",
                      "[green]yes[/]" if c.within else "[red]NO[/]")
    console.print(table)
    console.print(f"weights: {report.weights}")
    console.print("[green]reproduced[/]" if report.reproduced else "[red]NOT reproduced[/]")
