"""``rmbench leaderboard verify NAME``: does a submission's model give its predictions?

The submission must first pass ``validate`` (so its numbers are what its predictions give).
Then the submitted model (or baseline) re-scores every pair of its track's test sets through
the harness (``rmbench.run.harness.score_rows``, with the run's ``max_length``, delay setting
and seed; a base model's new reward head is initialised from that seed), and every re-scored
reward must match the submitted prediction for that pair within ``REWARD_ATOL +
REWARD_RTOL * |reward|``. The accuracies recomputed from the re-scored rewards are shown
beside the submitted ones; the submitted interval is never the yardstick. The data is
checked against the track's fingerprints first, and a model directory against the submitted
hash of its weights, config and tokenizer, so a pass means the *same* model on the *same*
pairs. A model whose config.json records training on a held-out task of the track
(``rmbench_input.trained_on``) is refused: its held-out pairs include posts it trained on.
``--record`` writes the pass into ``verified.json``: the board then shows the entry as
"verified" for as long as its file is unchanged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from rmbench.errors import LeaderboardError, did_you_mean
from rmbench.leaderboard.store import read_json, submission_files, submissions_dir
from rmbench.leaderboard.tracks import Track, load_tracks

# Rewards re-scored on other hardware differ in the last digits (bf16 vs fp32 kernels, batch
# composition); a different model differs by orders of magnitude more.
REWARD_ATOL = 1e-3
REWARD_RTOL = 1e-3


@dataclass
class Check:
    task: str
    split: str
    n: int
    submitted: float | None  # the accuracy the submitted predictions give (validate recomputed it)
    reproduced: float | None  # the accuracy the re-scored rewards give
    max_diff: float = 0.0  # largest |re-scored - submitted| reward
    beyond: int = 0  # pairs with a reward outside the tolerance
    noise: float = 0.0  # the re-scoring noise: median |re-scored - submitted| reward
    near_ties: int = 0  # pairs whose re-scored margin is within 2 x noise of zero (may flip honestly)
    flipped: int = 0  # pairs whose outcome (win, tie, loss) differs between submission and re-score
    unexplained: int = 0  # ... of them with a margin noise cannot flip: the predictions were edited
    problems: list[str] = field(default_factory=list)  # claimed numbers or verdicts the re-score does not give

    @property
    def within(self) -> bool:
        return self.beyond == 0 and self.unexplained == 0 and not self.problems


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
            for part, want in track.tasks[t]["splits"][s]["fingerprints"].items():
                if fps.get(part) != want:
                    wrong.append(f"{t}/{part}: fingerprint {str(fps.get(part))[:12]}… is not the track's {want[:12]}…")
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


def stored_model(mid: str, where: Path) -> str:
    """The model a submission names: a preset or hub id as it is; a path relative to the
    submission's folder (never to wherever verify runs), or a clear refusal."""
    from rmbench.model.load import looks_local
    from rmbench.model.presets import find_preset

    path = Path(mid).expanduser()
    if path.is_absolute() or find_preset(mid) is not None or not looks_local(mid):
        return mid
    beside = (where / path).resolve()
    if beside.is_dir():
        return str(beside)
    raise LeaderboardError(f"the submission names its model by the relative path {mid!r}, and {beside} (beside the "
                           "submission) is not a directory; pass --model with the trained model directory")


def _scorer_for(sub: dict, model: str | None, batch_size: int | None, track: Track, where: Path = Path(".")):
    """(reward function over rows, model label, weights verdict): the harness's scoring of rows."""
    from rmbench.eval.baselines import parse_baseline_model
    from rmbench.run.harness import score_rows

    res = sub["results"]
    cfg = res.get("config") or {}
    seed = int(cfg.get("seed", 0) or 0)
    with_delay = bool((cfg.get("data") or {}).get("with_delay"))
    baseline = parse_baseline_model(res["model"]["id"]) if res["model"]["kind"] == "baseline" else None
    if baseline is not None:
        target = baseline
        if baseline == "confounds":  # the learned baseline: the track's fit
            from rmbench.eval.confounds import ConfoundsModel

            if not track.confounds:
                raise LeaderboardError(f"track {track.name!r} has no baseline:confounds to re-score with")
            target = ConfoundsModel.from_dict(track.confounds)

        def baseline_rewards(rows):
            saved = score_rows(target, rows, with_delay=with_delay, seed=seed)
            return saved["chosen"], saved["rejected"]

        return baseline_rewards, res["model"]["id"], "not checked (baseline)"
    kind = res["model"].get("model_kind") or "classifier"
    if kind not in ("classifier", "dpo"):
        what = "rewards scored outside rmbench" if kind == "external" else f"a {kind}"
        raise LeaderboardError(f"verify re-scores classifiers and DPO policies; this entry's model is {what}, "
                               "checked by validate from its predictions only")
    from transformers import set_seed

    from rmbench.model.load import weights_sha256
    from rmbench.model.presets import DTYPES
    from rmbench.model.scoring import RewardScorer

    target = model or stored_model(str(res["model"]["id"]), where)
    _check_not_trained_on(target, track)
    want = res["model"].get("weights_sha256")
    have = weights_sha256(target) if Path(target).is_dir() else None
    weights = ("not checked (no local weights)" if have is None else
               "not checked (none submitted)" if want is None else "match" if have == want else "differ")
    max_length = int(((cfg.get("model") or {}).get("max_length")) or 512)
    dtype = (cfg.get("model") or {}).get("dtype")  # the run's scoring dtype (--dtype); runs without it scored as saved
    dtype = dtype if dtype in DTYPES else None
    set_seed(seed)  # a base model gets a new reward head: initialise it as the run did
    try:
        scorer = (_dpo_scorer(target, res["model"]["input"]["dpo"], max_length, batch_size, dtype) if kind == "dpo"
                  else RewardScorer(target, max_length=max_length, batch_size=batch_size, dtype=dtype))
    except Exception as e:  # unknown alias / missing directory / hub unreachable
        raise LeaderboardError(f"cannot load model {target!r}: {e} (pass --model with the trained model directory)") from None
    scorer.memo = {}  # as the run's scorer: a response in several splits (test_hard in test) is scored once

    def rewards(rows):
        saved = score_rows(scorer, rows, with_delay=with_delay, seed=seed)
        return saved["chosen"], saved["rejected"]

    return rewards, target, weights


def _dpo_scorer(target: str, dpo: dict, max_length: int, batch_size: int | None, dtype: str | None):
    """The entry's DPO policy against the reference and beta its results.json records."""
    from rmbench.model.dpo import DpoScorer
    from rmbench.model.load import load_causal_lm

    policy, tok = load_causal_lm(target, dtype=dtype)
    reference = load_causal_lm(dpo["ref_model"], dtype=dtype)[0]
    return DpoScorer(policy, reference, tok, beta=dpo["beta"], max_length=max_length, batch_size=batch_size)


def _check_not_trained_on(target: str, track: Track) -> None:
    """A model rmbench trained records the tasks whose training pairs it saw (config.json,
    ``rmbench_input.trained_on``); one that saw a held-out task's posts cannot be verified on them."""
    from rmbench.model.kinds import META_KEY

    config = Path(target) / "config.json"
    try:
        seen = set((json.loads(config.read_text(encoding="utf-8")).get(META_KEY) or {}).get("trained_on") or ())
    except (OSError, ValueError, AttributeError):  # no local config (a hub id) or not ours: nothing recorded
        return
    held = sorted(seen & set(track.heldout_tasks))
    if held:
        raise LeaderboardError(f"model {target!r} records training on the track's held-out {', '.join(held)} (its "
                               f"config.json, {META_KEY}.trained_on): its held-out numbers would score posts it "
                               "trained on, so it cannot be verified")


# Verdict fields of a split card: they must come out the same from the re-scored rewards.
VERDICT_KEYS = ("clears_best_baseline", "at_chance", "best_baseline")


def outcome_check(check: Check, old: dict, new: dict, claimed: dict | None, again: dict | None) -> Check:
    """Outcomes, not only rewards: a reward nudged inside the tolerance can still turn a loss
    into a win. A pair may change outcome only when its re-scored margin is within twice the
    re-scoring noise of zero; the noise is the *median* reward difference, which edits to a
    minority of pairs cannot raise (on one machine it is ~1e-8, so nothing may flip). Then
    the re-scored accuracy must be the claimed one up to the near-tie pairs' share, and every
    verdict the same."""
    import numpy as np

    from rmbench.eval.metrics import pair_outcomes

    ids = [p for p in old if p in new]
    if not ids:
        return check
    a = np.asarray([old[p] for p in ids], dtype=float)
    b = np.asarray([new[p] for p in ids], dtype=float)
    check.noise = float(np.median(np.abs(a - b)))
    # float32 rounding of the rewards themselves is the floor of what two runs can differ by
    floor = 1e-6 * (1 + np.abs(b).max(axis=1))
    margin = np.abs(b[:, 0] - b[:, 1])
    near = margin <= 2 * np.maximum(check.noise, floor)
    flips = pair_outcomes(a[:, 0], a[:, 1]) != pair_outcomes(b[:, 0], b[:, 1])
    check.near_ties, check.flipped, check.unexplained = int(near.sum()), int(flips.sum()), int((flips & ~near).sum())
    if check.unexplained:
        check.problems.append(f"{check.unexplained} pair(s) change outcome although their re-scored margin is "
                              f"beyond the re-scoring noise ({check.noise:.1e}): the predictions were edited")
    bound = check.near_ties / len(ids) + 2e-6  # + results.json's rounding
    if check.submitted is not None and check.reproduced is not None and abs(check.submitted - check.reproduced) > bound:
        check.problems.append(f"accuracy {check.submitted:.4f} claimed, {check.reproduced:.4f} re-scored: more than "
                              f"the {check.near_ties} near-tie pair(s) can explain")
    for key in VERDICT_KEYS:
        if claimed and again and claimed.get(key) != again.get(key):
            check.problems.append(f"{key}: {claimed.get(key)!r} claimed, {again.get(key)!r} re-scored")
    return check


def verify_submission(board: Path, name: str, data_dir: Path | None = None, model: str | None = None,
                      batch_size: int | None = None) -> VerifyReport:
    from rmbench.leaderboard.frozen import predictions_by_split
    from rmbench.leaderboard.names import name_problems
    from rmbench.leaderboard.recompute import recompute
    from rmbench.leaderboard.validate import check_file
    path = submissions_dir(board) / f"{name}.json"
    if name_problems(name) or not path.is_file():
        names = [f.stem for f in submission_files(board)]
        raise LeaderboardError(f"no submission named {name!r} in {submissions_dir(board)}.{did_you_mean(name, names)}")
    tracks = load_tracks(board)
    problems, numbers, sub = check_file(path, tracks)
    if problems:
        raise LeaderboardError(f"{name} does not validate, so there is nothing to verify:\n  "
                               + "\n  ".join(map(str, problems[:10])))
    track = tracks[sub["track"]]
    rewards, label, weights = _scorer_for(sub, model, batch_size, track, path.parent)
    report = VerifyReport(name=name, track=track.name, model=label, weights=weights)
    data = data_dir or _resolve(track)
    _check_data(data, track)
    submitted = predictions_by_split(sub["predictions"])
    from rmbench.leaderboard.tracks import heldout_rows
    from rmbench.prepared.manifest import Prepared

    rescored: dict = {}
    _, rows_by = heldout_rows(Prepared.open(data), list(track.heldout_tasks), track.splits)  # as frozen
    for t in track.heldout_tasks:
        for s in track.splits:
            rows = rows_by[(t, s)]
            if rows:
                chosen, rejected = rewards(rows)
                rescored[(t, s)] = {r["pair_id"]: (c, x) for r, c, x in zip(rows, chosen, rejected)}
    again, _ = recompute(sub["results"], track, rescored)
    for t in track.heldout_tasks:
        for s in track.splits:
            old, new = submitted.get((t, s), {}), rescored.get((t, s), {})
            diffs = [max(abs(a - b) for a, b in zip(old[p], new[p])) for p in old if p in new]
            beyond = sum(abs(a - b) > REWARD_ATOL + REWARD_RTOL * abs(a) for p in old if p in new
                         for a, b in zip(old[p], new[p])) + len(set(old) ^ set(new))
            claimed, redone = numbers.splits.get((t, s)), again.splits.get((t, s))
            check = Check(t, s, len(new), (claimed or {}).get("accuracy"), (redone or {}).get("accuracy"),
                          max(diffs, default=0.0), beyond)
            report.checks.append(outcome_check(check, old, new, claimed, redone))
    return report


def record(board: Path, report: VerifyReport) -> Path:
    """Note a reproduced submission in ``verified.json`` (its file's sha256, so an edit loses the badge)."""
    from rmbench import __version__
    from rmbench.atomic import write_json
    from rmbench.leaderboard.ranking import VERIFIED_FILE

    if not report.reproduced:
        raise LeaderboardError(f"{report.name} did not reproduce; nothing recorded")
    path = board / VERIFIED_FILE
    doc = read_json(path) if path.is_file() else {"kind": "rmbench.verified", "schema_version": 1, "entries": {}}
    sub = submissions_dir(board) / f"{report.name}.json"
    doc["entries"][report.name] = {
        "submission_sha256": hashlib.sha256(sub.read_bytes()).hexdigest(), "model": report.model,
        "weights": report.weights, "max_reward_diff": max((c.max_diff for c in report.checks), default=0.0),
        "rescored": {f"{c.task}/{c.split}": {"accuracy": c.reproduced, "near_ties": c.near_ties, "flipped": c.flipped}
                     for c in report.checks},
        "tolerance": {"atol": REWARD_ATOL, "rtol": REWARD_RTOL}, "rmbench_version": __version__,
        "verified_utc": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    doc["entries"] = dict(sorted(doc["entries"].items()))
    write_json(path, doc)
    return path


def print_report(report: VerifyReport, console=None) -> None:
    from rmbench.tables import Column, Sheet, emit, stdout_console

    console = console or stdout_console()
    sheet = Sheet([Column("task"), Column("split"), Column("n", kind="int"), Column("submitted", right=True),
                   Column("re-scored", right=True), Column("max |Δ reward|", right=True),
                   Column("pairs off", kind="int"), Column("flipped", kind="int"), Column("near ties", kind="int"),
                   Column("ok", kind="bool")],
                  title=f"verify {report.name} (track {report.track}, model {report.model})")
    for c in report.checks:
        sheet.add(c.task, c.split, c.n, "—" if c.submitted is None else f"{c.submitted:.4f}",
                  "—" if c.reproduced is None else f"{c.reproduced:.4f}", f"{c.max_diff:.2e}", c.beyond, c.flipped, c.near_ties, c.within,
                  style=None if c.within else "red")
    emit(sheet, console=console)
    for c in report.checks:
        for problem in c.problems:
            console.print(f"{c.task}/{c.split}: {problem}", markup=False, highlight=False)
    console.print(f"weights: {report.weights}; tolerance per reward: {REWARD_ATOL:g} + {REWARD_RTOL:g}·|reward|; "
                  "outcomes may change only on pairs re-scored within twice the re-scoring noise of a tie",
                  markup=False, highlight=False)  # the weights' path may hold brackets
    console.print("[green]reproduced[/]" if report.reproduced else "[red]NOT reproduced[/]")
