"""What ``rmbench compare`` reads: run folders, leaderboard submissions and leave-one-out sweeps,
each as per-pair outcomes (``rmbench.eval.compare`` pairs them up).

A seeded leave-one-out sweep (``sweep --leave-one-out --seeds 0,1,2``) holds a cell per task
and training seed, a run group (a folder of ``rmbench run --seed S`` folders) a run per seed.
Either is read as one run whose outcome on a pair is the average of the seeds'
outcomes (the recipe's expected accuracy on that pair, as the sweep's own summaries take it),
and it keeps each seed's outcomes too, so a comparison can say in how many seeds a verdict holds.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rmbench.errors import ConfigError, DataError
from rmbench.eval.metrics import pair_outcomes
from rmbench.jsonl import LINE_MAX_CHARS, loads
from rmbench.jsonlimits import read_json_file

Outcomes = dict[tuple[str, str], dict[str, float]]  # (task, split) -> pair id -> outcome


@dataclass
class RunPredictions:
    """One run folder: its results.json and, per (task, split), pair id -> outcome (1 the
    chosen response got the higher reward, 0 the lower, 0.5 a tie). For a sweep read over
    several training seeds: the seed-averaged outcome, and each seed's own in ``by_seed``."""

    path: Path
    label: str
    doc: dict
    results_sha256: str
    outcomes: Outcomes = field(default_factory=dict)
    dropped: Counter = field(default_factory=Counter)  # reason -> predictions lines skipped
    seeds: list[int] | None = None  # the training seeds averaged (a leave-one-out sweep's cells)
    by_seed: dict[int, Outcomes] = field(default_factory=dict)  # only with two or more seeds
    not_every_seed: int = 0  # pairs some seeds' cells scored and others did not: left out


def _rewards(row) -> tuple[tuple[str, str], str, float, float] | str:
    """(key, pair id, reward of chosen, of rejected) of one predictions row, or why it cannot be used."""
    if not isinstance(row, dict):
        return "not a JSON object"
    task, split, pid = row.get("task"), row.get("split"), row.get("pair_id")
    if not all(isinstance(v, str) and v for v in (task, split, pid)):
        return "task, split or pair_id missing"
    a, b = row.get("reward_chosen"), row.get("reward_rejected")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in (a, b)):
        return "reward not a finite number"
    return (task, split), pid, float(a), float(b)


def load_submission(path: Path, label: str | None = None) -> RunPredictions:
    """A leaderboard submission file (``rmbench submit``): its results and embedded predictions,
    read by the leaderboard's own strict reader (a bad row is an error there, as in ``validate``)."""
    from rmbench.leaderboard.frozen import predictions_by_split

    sub = read_json_file(path)
    if not isinstance(sub, dict) or sub.get("kind") != "rmbench.submission" or not isinstance(sub.get("results"), dict):
        raise ConfigError(f"{path}: not a run folder or a leaderboard submission (rmbench submit writes those)")
    run = RunPredictions(path, label or str(sub.get("name") or path.stem), sub["results"],
                         hashlib.sha256(path.read_bytes()).hexdigest())
    run.outcomes = _outcomes(predictions_by_split(sub.get("predictions")))
    return run


def _outcomes(rewards: dict[tuple[str, str], dict[str, tuple[float, float]]]) -> Outcomes:
    """Each pair's outcome by ``metrics.pair_outcomes`` (the project's one rule for wins and ties)."""
    out = {}
    for key, by_pair in rewards.items():
        ids = list(by_pair)
        out[key] = dict(zip(ids, pair_outcomes([by_pair[i][0] for i in ids], [by_pair[i][1] for i in ids]).tolist()))
    return out


def load_run(path: str | Path, label: str | None = None, seeds: list[int] | None = None) -> RunPredictions:
    """A run folder's results.json and predictions.jsonl, a leave-one-out sweep or a folder of
    run folders (``seeds``: which of their training seeds to read; default every one), or a
    leaderboard submission file; a clear error if it is none of them."""
    path = Path(path)
    if path.is_file():
        return load_submission(path, label)
    if (path / "sweep.json").is_file():
        return load_sweep(path, label, seeds)
    if is_run_group(path):
        return load_group(path, label, seeds)
    results, preds = path / "results.json", path / "predictions.jsonl"
    if not results.is_file() or not preds.is_file():
        raise ConfigError(f"{path}: not a run folder (it needs results.json and predictions.jsonl, which "
                          "`rmbench run` and `rmbench evaluate` write under --out), a leave-one-out sweep, "
                          "a folder of run folders (one per seed) or a leaderboard submission file")
    run = RunPredictions(path, label or path.name, _results(results), hashlib.sha256(results.read_bytes()).hexdigest())
    run.outcomes = _outcomes(_read_predictions(preds, run))
    return run


def _results(path: Path) -> dict:
    doc = read_json_file(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("model"), dict):
        raise DataError(f"{path}: not an rmbench results.json (no model block)")
    return doc


def _sweep_seeds(path: Path, sweep: dict, loo: dict, wanted: list[int] | None) -> tuple[list[int | None], int | None]:
    """The training seeds to read (None: an unseeded sweep's plain cells) and the config's own seed."""
    listed = loo.get("seeds")
    base = (sweep.get("config") or {}).get("seed")
    if not isinstance(listed, list) or not listed:  # a sweep from before --seeds
        if wanted and wanted != [base]:
            raise ConfigError(f"{path}: this sweep has no --seeds cells; read it without --sweep-seeds")
        return [None], base
    if not isinstance(base, int):
        raise DataError(f"{path}: sweep.json lists seeds {listed} but not its config's seed")
    missing = [s for s in wanted or [] if s not in listed]
    if missing:
        raise ConfigError(f"{path}: the sweep has no cells of seed {', '.join(map(str, missing))} (its seeds: "
                          f"{', '.join(map(str, listed))}); add them with `rmbench sweep --leave-one-out --seeds ... --resume`")
    return list(wanted or listed), base


def load_sweep(path: Path, label: str | None = None, seeds: list[int] | None = None) -> RunPredictions:
    """A ``sweep --leave-one-out`` folder as one run: each cell's held-out task, as that cell
    scored it (its model never trained on that task), so two such sweeps compare per task and
    pooled over every community. With two or more training seeds, each pair's outcome is the
    mean over the seeds, on the pairs every seed's cell scored (the others are counted)."""
    from rmbench.run.loo import cell_dir

    sweep = read_json_file(path / "sweep.json")
    loo = ((sweep.get("leave_one_out") or {}) if isinstance(sweep, dict) else {})
    tasks = loo.get("tasks")
    if not tasks:
        raise ConfigError(f"{path}: a sweep without --leave-one-out; compare its cells instead "
                          f"({path / 'cells'}/NAME are run folders)")
    which, base = _sweep_seeds(path, sweep, loo, seeds)
    run = RunPredictions(path, label or path.name, {}, hashlib.sha256((path / "sweep.json").read_bytes()).hexdigest())
    per_seed: dict[int | None, Outcomes] = {}
    for seed in which:
        docs, rewards = {}, {}
        for t in tasks:
            cell = cell_dir(path, t, None if seed == base else seed)
            if not (cell / "results.json").is_file() or not (cell / "predictions.jsonl").is_file():
                raise DataError(f"{path}: the leave-one-out cell of {t}{'' if seed is None else f' (seed {seed})'} is "
                                f"not finished ({cell}); rerun the sweep with --resume")
            docs[t] = _results(cell / "results.json")
            rewards.update({k: v for k, v in _read_predictions(cell / "predictions.jsonl", run).items() if k[0] == t})
        if not run.doc:
            first = docs[tasks[0]]
            run.doc = {**first, "results": {t: docs[t]["results"][t] for t in tasks if t in docs[t].get("results", {})}}
        per_seed[seed] = _outcomes(rewards)
    if which != [None]:
        run.seeds = list(which)
    _set_seeds(run, per_seed)
    return run


def _set_seeds(run: RunPredictions, per_seed: dict) -> None:
    """One seed's outcomes as they are; several averaged, each kept in ``by_seed``."""
    if len(per_seed) == 1:
        run.outcomes = next(iter(per_seed.values()))
    else:
        run.by_seed = dict(per_seed)
        run.outcomes, run.not_every_seed = average_over_seeds(list(per_seed.values()))


def is_run_group(path: Path) -> bool:
    """A folder of run folders (no results.json or sweep.json of its own, a run folder inside)."""
    return (path.is_dir() and not (path / "results.json").exists() and not (path / "sweep.json").exists()
            and any((d / "results.json").is_file() for d in path.iterdir() if d.is_dir()))


def load_group(path: Path, label: str | None = None, seeds: list[int] | None = None) -> RunPredictions:
    """A folder of ``rmbench run`` folders of one recipe trained with different ``--seed``s
    (``runs/poe/seed0``, ``runs/poe/seed1``...), read as a seeded sweep is: each pair's outcome
    averaged over the runs, each run kept as its seed's. ``seeds`` picks some of them."""
    runs = {}
    for d in sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if not (d / "results.json").is_file():
            raise ConfigError(f"{d}: not a run folder, in {path}: a folder of runs holds one `rmbench run` folder "
                              "per training seed and nothing else")
        run = load_run(d)
        seed = (run.doc.get("config") or {}).get("seed")
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise DataError(f"{d}: its results.json records no training seed (config.seed), so it cannot count as "
                            f"one seed of {path}")
        if seed in runs:
            raise ConfigError(f"{path}: {runs[seed].path.name} and {d.name} were both trained with seed {seed}; a group "
                              "holds one run per seed of one recipe")
        runs[seed] = run
    missing = [s for s in seeds or [] if s not in runs]
    if missing:
        raise ConfigError(f"{path}: no run of seed {', '.join(map(str, missing))} (its seeds: "
                          f"{', '.join(map(str, sorted(runs)))})")
    picked = {s: runs[s] for s in (seeds or sorted(runs))}
    prints = {(r.doc.get("data") or {}).get("manifest_fingerprint") for r in picked.values()}
    if len(prints) > 1:
        raise ConfigError(f"{path}: its runs were scored on different prepared data, so their pair ids need not be "
                          "the same pairs; a group holds runs of one prepared dataset")
    first = picked[min(picked)]
    run = RunPredictions(path, label or path.name, first.doc,
                         hashlib.sha256("".join(picked[s].results_sha256 for s in sorted(picked)).encode()).hexdigest(),
                         seeds=list(picked))
    for r in picked.values():
        run.dropped.update(r.dropped)
    _set_seeds(run, {s: r.outcomes for s, r in picked.items()})
    return run


def average_over_seeds(seeds: list[Outcomes]) -> tuple[Outcomes, int]:
    """Per (task, split) and pair, the mean outcome over ``seeds`` on the pairs every one of them
    scored; and how many pairs some scored and others did not (left out)."""
    out, left = {}, 0
    for key in set().union(*seeds):
        maps = [s.get(key, {}) for s in seeds]
        every = set(maps[0]).intersection(*maps[1:])
        left += len(set().union(*maps)) - len(every)
        if every:
            out[key] = {pid: sum(m[pid] for m in maps) / len(maps) for pid in sorted(every)}
    return out, left


def _read_predictions(preds: Path, run: RunPredictions) -> dict[tuple[str, str], dict[str, tuple[float, float]]]:
    """(task, split) -> pair id -> rewards; a line that cannot be used is counted in ``run.dropped``."""
    rewards: dict[tuple[str, str], dict[str, tuple[float, float]]] = {}
    with open(preds, "rb") as f:
        while line := f.readline(LINE_MAX_CHARS + 1):
            if not line.strip():
                continue
            if len(line) > LINE_MAX_CHARS:
                run.dropped["line too long"] += 1
                while line and not line.endswith(b"\n"):  # skip the rest of that line
                    line = f.readline(LINE_MAX_CHARS + 1)
                continue
            try:  # strict UTF-8: a replaced byte in a pair id would silently make another pair
                got = _rewards(loads(line.decode("utf-8")))
            except UnicodeDecodeError:
                got = "not UTF-8"
            except ValueError:
                got = "not JSON"
            if isinstance(got, str):
                run.dropped[got] += 1
                continue
            key, pid, chosen, rejected = got
            seen = rewards.setdefault(key, {})
            if pid in seen:
                run.dropped["pair listed twice (first kept)"] += 1
            else:
                seen[pid] = (chosen, rejected)
    return rewards


__all__ = ["Outcomes", "RunPredictions", "average_over_seeds", "is_run_group", "load_group", "load_run", "load_submission",
           "load_sweep"]
