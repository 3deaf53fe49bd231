"""Every check a submission must pass, collected all at once.

JSON Schema covers shape and ranges; the rules below cover what a schema cannot say:
the data is the track's frozen test sets (versions, fingerprints, counts, the very pairs),
the model did not train on what it is ranked on, every number is what the submission's own
per-pair predictions give (recomputed through the harness's functions:
``rmbench.leaderboard.recompute``), a baseline is listed only as a baseline, and the name is
safe and new. A submission is judged by *all* rules in one pass, so a contributor fixes
everything in one round; a file too big, too deep or holding NaN is one listed problem.

Rule ids (the ``rule`` of each :class:`Problem`): json, file_size, schema, non_finite, name,
name_matches_file, duplicate_name, unknown_track, benchmark_version, data_label,
task_missing, task_version, fingerprint, leakage, count, accuracy_missing, ci,
count_consistency, summary, plot, predictions, recomputed, baselines, kind, best_of_n.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

from rmbench.atomic import json_text
from rmbench.errors import LeaderboardError
from rmbench.jsonlimits import JSONLimitError, loads_bounded
from rmbench.leaderboard.names import name_problems
from rmbench.leaderboard.schemas import validator
from rmbench.leaderboard.store import MAX_SUBMISSION_BYTES
from rmbench.leaderboard.leaks import leak_problems
from rmbench.leaderboard.tracks import Track, benchmark_version

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_PLOT_BYTES = 512 * 1024  # a matplotlib PNG at 100 dpi is 20-80 KiB; 512 KiB is generous
# accuracy is (correct + ties/2) / n; harnesses that round to 6 decimals stay within this
COUNT_TOLERANCE = 1e-6
# summary means may be rounded when written; anything further off is a different number
SUMMARY_TOLERANCE = 5e-4
MAX_DEPTH = 32  # a results.json nests about 10 levels; anything much deeper is not a submission


@dataclass(frozen=True)
class Problem:
    rule: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.where}: {self.message}" if self.where else f"[{self.rule}] {self.message}"


def _get(d: object, *keys):
    """Walk nested dicts; ``None`` as soon as a level is missing or not a dict."""
    for k in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


def _num(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def schema_problems(sub: object) -> list[Problem]:
    out = []
    for e in sorted(validator("submission").iter_errors(sub), key=lambda e: list(map(str, e.absolute_path))):
        where = "/".join(map(str, e.absolute_path)) or "(top)"
        msg = e.message if len(e.message) < 300 else e.message[:300] + "…"
        out.append(Problem("schema", where, msg))
    return out


def non_finite_problems(obj: object) -> list[Problem]:
    """Every NaN or infinity in a parsed document (walked without recursion)."""
    out, stack = [], [("", obj)]
    while stack:
        where, x = stack.pop()
        if isinstance(x, float) and not math.isfinite(x):
            out.append(Problem("non_finite", where or "(top)", f"{x!r} is not a number JSON can hold"))
        elif isinstance(x, dict):
            stack += [(f"{where}/{k}".lstrip("/"), v) for k, v in x.items()]
        elif isinstance(x, list):
            stack += [(f"{where}/{i}".lstrip("/"), v) for i, v in enumerate(x)]
    return sorted(out, key=lambda p: p.where)


def validate_submission(sub: object, tracks: dict[str, Track], *, file_stem: str | None = None,
                        taken_names: set[str] = frozenset()) -> list[Problem]:
    """All problems of one parsed submission; an empty list means it is valid."""
    return check_submission(sub, tracks, file_stem=file_stem, taken_names=taken_names)[0]


def check_submission(sub: object, tracks: dict[str, Track], *, file_stem: str | None = None,
                     taken_names: set[str] = frozenset()):
    """(problems, recomputed numbers or None): what ``validate_submission`` finds, and the
    numbers the board shows (``rmbench.leaderboard.recompute.Recomputed``)."""
    problems = non_finite_problems(sub)
    if problems:
        return problems, None  # NaN/inf: nothing else can be judged on such numbers
    problems = schema_problems(sub)
    if not isinstance(sub, dict):
        return problems, None
    size = len(json_text(sub).encode())  # as `rmbench submit` writes it
    if size > MAX_SUBMISSION_BYTES:
        problems.append(Problem("file_size", "(top)", f"{size} bytes written out, over the "
                                f"{MAX_SUBMISSION_BYTES}-byte limit (fewer or smaller plots?)"))
    name = sub.get("name")
    problems += [Problem("name", "name", m) for m in name_problems(name)]
    if file_stem is not None and name != file_stem:
        problems.append(Problem("name_matches_file", "name",
                                f"file is {file_stem}.json but the name inside is {name!r}"))
    if isinstance(name, str) and name.lower() in taken_names:
        problems.append(Problem("duplicate_name", "name", f"{name!r} is already on the leaderboard"))
    problems += _plot_problems(sub.get("plots"))
    results = sub.get("results")
    track = tracks.get(sub.get("track")) if isinstance(sub.get("track"), str) else None
    if track is None:
        problems.append(Problem("unknown_track", "track", f"{sub.get('track')!r} is not a track on this "
                                f"leaderboard (tracks: {', '.join(sorted(tracks)) or 'none'})"))
    numbers = None
    if not any(p.rule == "schema" for p in problems):
        from rmbench.leaderboard.bestofn import bon_problems

        problems += [Problem(*p) for p in bon_problems(sub)]
    if isinstance(results, dict):
        problems += results_problems(results, track)
        problems += _kind_problems(sub, results)
        if track is not None and not any(p.rule == "schema" for p in problems):
            numbers, found = _recomputed(sub, results, track)
            problems += found
    return problems, numbers


def _recomputed(sub: dict, results: dict, track: Track):
    from rmbench.leaderboard.frozen import read_predictions
    from rmbench.leaderboard.recompute import recompute

    try:
        predictions, cuts = read_predictions(sub.get("predictions"))
        numbers, found = recompute(results, track, predictions, cuts)
    except LeaderboardError as e:
        return None, [Problem("predictions", "predictions", str(e))]
    return numbers, [Problem(*f) for f in found]


def _kind_problems(sub: dict, results: dict) -> list[Problem]:
    """A baseline is listed as a baseline, under a baseline's name, and nothing else is."""
    from rmbench.eval.baselines import BASELINES, LEARNED_BASELINES

    names = BASELINES + LEARNED_BASELINES
    model = results.get("model") if isinstance(results.get("model"), dict) else {}
    kind, mid, name = model.get("kind"), str(model.get("id", "")), str(sub.get("name", ""))
    is_base_id = mid.lower().startswith("baseline:")
    out = []
    if kind == "baseline" and not (is_base_id and mid.split(":", 1)[1] in names):
        out.append(Problem("kind", "results/model/id", f"{mid!r}: a baseline entry's model must be one of "
                           + ", ".join(f"baseline:{b}" for b in names)))
    if kind != "baseline" and is_base_id:
        out.append(Problem("kind", "results/model/kind", f"{kind!r} for model {mid!r}: a baseline is submitted as kind 'baseline'"))
    if (kind == "baseline") != name.startswith("baseline-"):
        out.append(Problem("kind", "name", f"{name!r}: baseline entries, and only they, are named baseline-..."))
    return out


def results_problems(results: dict, track: Track | None) -> list[Problem]:
    """The cross-field rules on a results.json, against ``track`` when known."""
    problems = []
    per_task = results.get("results") if isinstance(results.get("results"), dict) else {}
    for task, tr in per_task.items():
        for split, sp in (_get(tr, "splits") or {}).items():
            problems += _split_problems(f"results/results/{task}/splits/{split}", sp)
    problems += _summary_problems(results, per_task)
    if track is None:
        return problems
    version = results.get("rmbench_version")
    try:
        ok = isinstance(version, str) and benchmark_version(version) == track.benchmark_version
    except ValueError:
        ok = False
    if not ok:
        problems.append(Problem("benchmark_version", "results/rmbench_version",
                                f"{version!r} is not benchmark version {track.benchmark_version} "
                                f"(track {track.name!r})"))
    if results.get("synthetic_data") is not track.synthetic:
        problems.append(Problem("data_label", "results/synthetic_data",
                                f"{results.get('synthetic_data')!r} but track {track.name!r} is "
                                f"{'synthetic' if track.synthetic else 'real'} data"))
    problems += leak_problems(results, track)
    train = results.get("train_tasks") if isinstance(results.get("train_tasks"), list) else []
    for task in track.heldout_tasks:
        want = track.tasks[task]
        data = _get(results, "data", "tasks", task)
        tr = per_task.get(task)
        if not isinstance(tr, dict):
            problems.append(Problem("task_missing", f"results/results/{task}",
                                    f"held-out task {task!r} of track {track.name!r} has no results"))
            continue
        if task in train or tr.get("role") == "in_domain":
            problems.append(Problem("leakage", f"results/results/{task}",
                                    f"{task!r} is held out on this track but the model trained on it"))
        if _get(data, "version") != want["version"]:
            problems.append(Problem("task_version", f"results/data/tasks/{task}/version",
                                    f"{_get(data, 'version')!r}, track {track.name!r} froze version {want['version']!r}"))
        for split in track.splits:
            where = f"results/results/{task}/splits/{split}"
            sp = _get(tr, "splits", split)
            pairs = want["splits"][split]["pairs"]
            if sp is None and pairs == 0:
                continue  # the harness leaves an empty split out; nothing was there to score
            if not isinstance(sp, dict):
                problems.append(Problem("task_missing", where, f"no {split} results for held-out task {task!r}"))
                continue
            for part, frozen_fp in want["splits"][split]["fingerprints"].items():  # heldout_all: its files
                fp = _get(data, "fingerprints", part)
                if fp != frozen_fp:
                    problems.append(Problem("fingerprint", f"results/data/tasks/{task}/fingerprints/{part}",
                                            f"{str(fp)[:16]}… is not the frozen {part} file of track {track.name!r} "
                                            f"({frozen_fp[:16]}…)"))
            if sp.get("n") != pairs:
                problems.append(Problem("count", f"{where}/n", f"{sp.get('n')!r} pairs scored, the frozen "
                                        f"{split} set has {pairs}"))
            if pairs > 0 and not _num(sp.get("accuracy")):
                problems.append(Problem("accuracy_missing", f"{where}/accuracy",
                                        f"{sp.get('accuracy')!r}: a held-out split needs an accuracy"))
    return problems


def _split_problems(where: str, sp: object) -> list[Problem]:
    if not isinstance(sp, dict):
        return []
    out = []
    n, acc, ci = sp.get("n"), sp.get("accuracy"), sp.get("ci95")
    if _num(acc) and isinstance(ci, list) and len(ci) == 2 and all(_num(c) for c in ci):
        lo, hi = ci
        if not lo <= acc <= hi:
            out.append(Problem("ci", f"{where}/ci95", f"[{lo}, {hi}] does not contain the accuracy {acc}"))
    elif _num(acc):
        out.append(Problem("ci", f"{where}/ci95", f"{ci!r}: an accuracy needs its 95% interval"))
    for b, bs in (sp.get("baselines") or {}).items() if isinstance(sp.get("baselines"), dict) else []:
        a, c = _get(bs, "accuracy"), _get(bs, "ci95")
        if _num(a) and isinstance(c, list) and len(c) == 2 and all(_num(x) for x in c) and not c[0] <= a <= c[1]:
            out.append(Problem("ci", f"{where}/baselines/{b}/ci95", f"{c} does not contain the accuracy {a}"))
    if isinstance(n, int) and not isinstance(n, bool) and _num(acc):
        if n == 0:
            out.append(Problem("count_consistency", where, f"accuracy {acc} on 0 pairs"))
        elif abs(acc * n * 2 - round(acc * n * 2)) > COUNT_TOLERANCE * n * 2 + 1e-9:
            out.append(Problem("count_consistency", f"{where}/accuracy",
                               f"{acc} is not (correct + ties/2) / {n} for any whole count"))
    return out


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def _summary_problems(results: dict, per_task: dict) -> list[Problem]:
    """The run's own summary must be the mean of its own per-task numbers."""
    summary = results.get("summary")
    holdout = results.get("holdout")
    if not isinstance(summary, dict) or not isinstance(holdout, list) or not holdout:
        return []
    out = []
    for key, split in (("heldout_mean_accuracy", "test"), ("heldout_mean_accuracy_hard", "test_hard")):
        claimed = summary.get(key)
        # a too-small split is shown but counted in no mean (rmbench.eval.results.summary)
        accs = [_get(per_task, t, "splits", split, "accuracy") for t in holdout
                if isinstance(_get(per_task, t, "splits", split), dict)
                and not _get(per_task, t, "splits", split, "too_small")]
        if not _num(claimed) or not accs or not all(_num(a) for a in accs):
            continue
        mean = _mean(accs)
        if abs(mean - claimed) > SUMMARY_TOLERANCE:
            out.append(Problem("summary", f"results/summary/{key}",
                               f"{claimed} but the held-out {split} accuracies average {mean:.4f}"))
    return out


def _plot_problems(plots: object) -> list[Problem]:
    if not isinstance(plots, dict):
        return []
    out = []
    for pname, p in plots.items():
        where = f"plots/{pname}"
        stem = pname[:-4] if isinstance(pname, str) and pname.endswith(".png") else pname
        out += [Problem("plot", where, m) for m in name_problems(stem, "plot name")]
        data = _get(p, "png_base64")
        if not isinstance(data, str):
            continue
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            out.append(Problem("plot", where, "png_base64 is not valid base64"))
            continue
        if not raw.startswith(PNG_MAGIC):
            out.append(Problem("plot", where, "not a PNG image"))
        if len(raw) > MAX_PLOT_BYTES:
            out.append(Problem("plot", where, f"{len(raw)} bytes, over the {MAX_PLOT_BYTES}-byte limit per plot"))
        if _get(p, "bytes") != len(raw):
            out.append(Problem("plot", where, f"says {_get(p, 'bytes')} bytes, decodes to {len(raw)}"))
        if _get(p, "sha256") != hashlib.sha256(raw).hexdigest():
            out.append(Problem("plot", where, "sha256 does not match the image"))
    return out


def validate_file(path: Path, tracks: dict[str, Track], taken_names: set[str] = frozenset()) -> list[Problem]:
    """Parse and check one submission file (size first, so a huge file is never read)."""
    return check_file(path, tracks, taken_names)[0]


def read_submission(path: Path) -> object:
    """A submission file parsed within the size and depth limits (``LeaderboardError`` otherwise)."""
    try:
        return loads_bounded(path.read_bytes(), max_bytes=MAX_SUBMISSION_BYTES, max_depth=MAX_DEPTH)
    except JSONLimitError as e:
        raise LeaderboardError(f"{path}: {e}") from None


def check_file(path: Path, tracks: dict[str, Track], taken_names: set[str] = frozenset()):
    """(problems, recomputed numbers, parsed submission or None) of one file; never raises for its content."""
    where = str(path)
    if not path.is_file():
        return [Problem("json", where, "no such file")], None, None
    if path.stat().st_size > MAX_SUBMISSION_BYTES:
        return [Problem("file_size", where, f"{path.stat().st_size} bytes, over the {MAX_SUBMISSION_BYTES}-byte limit")], None, None
    try:
        sub = read_submission(path)
    except LeaderboardError as e:
        return [Problem("json", where, str(e).removeprefix(f"{path}: "))], None, None
    try:
        problems, numbers = check_submission(sub, tracks, file_stem=path.stem, taken_names=taken_names)
    except Exception as e:  # noqa: BLE001 - one odd file is a listed problem, never a stopped build
        return [Problem("internal", where, f"could not be checked: {type(e).__name__}: {e}")], None, None
    return problems, numbers, sub


def validate_files(paths: list[Path], tracks: dict[str, Track],
                   taken_names: set[str] = frozenset()) -> dict[Path, list[Problem]]:
    """Check each file; a name used by two of them (or in ``taken_names``) is a duplicate."""
    report: dict[Path, list[Problem]] = {}
    seen: set[str] = set(taken_names)
    for path in paths:
        report[path] = validate_file(path, tracks, taken_names=seen)
        seen.add(path.stem.lower())
    return report
