"""Two or more runs on the same pairs: is one model better than another, with an interval?

A run's own report compares its model with baselines; the leaderboard compares submissions of
a frozen track. This answers the question in between, on any runs a researcher has made of
one prepared dataset (``rmbench run`` / ``rmbench evaluate`` output folders, baselines
included): per task and split both scored, each run's accuracy and the paired difference to
the first run, with a 95% interval that resamples whole posts (the pairs of a post share its
prompt and responses, so they are not independent). Both runs are scored on the same
resamples, as every paired difference in rmbench is (``ClusterBootstrap``).

A leaderboard submission file (``leaderboard/submissions/NAME.json``) counts as a run: its
results and its embedded predictions, so a new run can be set beside a ranked entry of a
track prepared from the same data.

Only pairs both runs scored are compared; pairs only one run has are counted, never dropped
silently. A predictions line that cannot be read is skipped and counted with its reason; the
comparison goes on. Runs of different prepared data (another manifest fingerprint) are
refused unless asked for, since their pair ids need not mean the same pairs.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rmbench.errors import ConfigError, DataError
from rmbench.eval.metrics import LEVEL, ClusterBootstrap, estimate, pair_outcomes, post_ids_of
from rmbench.jsonlimits import read_json_file
from rmbench.jsonl import LINE_MAX_CHARS, loads

SPLIT_ORDER = ("heldout_all", "heldout_all_hard", "test", "test_hard")


@dataclass
class RunPredictions:
    """One run folder: its results.json and, per (task, split), pair id -> outcome (1 the
    chosen response got the higher reward, 0 the lower, 0.5 a tie)."""

    path: Path
    label: str
    doc: dict
    results_sha256: str
    outcomes: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)
    dropped: Counter = field(default_factory=Counter)  # reason -> predictions lines skipped


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
    _set_outcomes(run, predictions_by_split(sub.get("predictions")))
    return run


def _set_outcomes(run: RunPredictions, rewards: dict[tuple[str, str], dict[str, tuple[float, float]]]) -> None:
    """Each pair's outcome by ``metrics.pair_outcomes`` (the project's one rule for wins and ties)."""
    for key, by_pair in rewards.items():
        ids = list(by_pair)
        run.outcomes[key] = dict(zip(ids, pair_outcomes([by_pair[i][0] for i in ids], [by_pair[i][1] for i in ids])
                                     .tolist()))


def load_run(path: str | Path, label: str | None = None) -> RunPredictions:
    """A run folder's results.json and predictions.jsonl, or a leaderboard submission file;
    a clear error if it is neither."""
    path = Path(path)
    if path.is_file():
        return load_submission(path, label)
    if (path / "sweep.json").is_file():
        return load_sweep(path, label)
    results, preds = path / "results.json", path / "predictions.jsonl"
    if not results.is_file() or not preds.is_file():
        raise ConfigError(f"{path}: not a run folder (it needs results.json and predictions.jsonl, which "
                          "`rmbench run` and `rmbench evaluate` write under --out), a leave-one-out sweep "
                          "or a leaderboard submission file")
    doc = _results(results)
    run = RunPredictions(path, label or path.name, doc, hashlib.sha256(results.read_bytes()).hexdigest())
    _set_outcomes(run, _read_predictions(preds, run))
    return run


def _results(path: Path) -> dict:
    doc = read_json_file(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("model"), dict):
        raise DataError(f"{path}: not an rmbench results.json (no model block)")
    return doc


def load_sweep(path: Path, label: str | None = None) -> RunPredictions:
    """A ``sweep --leave-one-out`` folder as one run: each cell's held-out task, as that cell
    scored it (its model never trained on that task), so two such sweeps compare per task and
    pooled over every community."""
    sweep = read_json_file(path / "sweep.json")
    tasks = ((sweep.get("leave_one_out") or {}) if isinstance(sweep, dict) else {}).get("tasks")
    if not tasks:
        raise ConfigError(f"{path}: a sweep without --leave-one-out; compare its cells instead "
                          f"({path / 'cells'}/NAME are run folders)")
    from rmbench.run.loo import cell_dir

    docs, rewards = {}, {}
    run = RunPredictions(path, label or path.name, {}, hashlib.sha256((path / "sweep.json").read_bytes()).hexdigest())
    for t in tasks:
        cell = cell_dir(path, t)
        if not (cell / "results.json").is_file() or not (cell / "predictions.jsonl").is_file():
            raise DataError(f"{path}: the leave-one-out cell of {t} is not finished ({cell}); "
                            "rerun the sweep with --resume")
        docs[t] = _results(cell / "results.json")
        rewards.update({k: v for k, v in _read_predictions(cell / "predictions.jsonl", run).items() if k[0] == t})
    first = docs[tasks[0]]
    run.doc = {**first, "results": {t: docs[t]["results"][t] for t in tasks if t in docs[t].get("results", {})}}
    _set_outcomes(run, rewards)
    return run


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


def _fingerprint(run: RunPredictions) -> str | None:
    return (run.doc.get("data") or {}).get("manifest_fingerprint")


def _role(run: RunPredictions, task: str) -> str | None:
    """heldout or in_domain, as the first run's results.json says (None where it does not)."""
    entry = (run.doc.get("results") or {}).get(task)
    return entry.get("role") if isinstance(entry, dict) else None


def _order(key: tuple[str, str]) -> tuple:
    task, split = key
    return (split not in ("heldout_all", "heldout_all_hard"), task,
            SPLIT_ORDER.index(split) if split in SPLIT_ORDER else 99, split)


def compare_runs(runs: list[RunPredictions], *, samples: int = 1000, seed: int = 0, min_pairs: int = 50,
                 min_posts: int = 20, any_data: bool = False) -> dict:
    """The comparison document: every later run against the first, per (task, split) both scored."""
    if len(runs) < 2:
        raise ConfigError("compare needs at least two run folders")
    fps = {_fingerprint(r) for r in runs}
    if len(fps) > 1 and not any_data:
        listed = ", ".join(f"{r.label} {(_fingerprint(r) or 'none')[:16]}" for r in runs)
        raise ConfigError(f"the runs were scored on different prepared data (manifest fingerprints: {listed}), so the "
                          "same pair id need not be the same pair. Compare runs of one prepared dataset, or pass "
                          "--any-data to compare the pair ids they share anyway")
    base = runs[0]
    rows = []
    for other in runs[1:]:
        mine = []
        for key in sorted(set(base.outcomes) & set(other.outcomes), key=_order):
            a, b = base.outcomes[key], other.outcomes[key]
            ids = sorted(set(a) & set(b))
            if not ids:
                continue
            posts = post_ids_of(ids)
            boot = ClusterBootstrap(posts, samples, seed)
            xa, xb = [a[i] for i in ids], [b[i] for i in ids]
            acc_a, ci_a = boot.mean(xa)
            acc_b, ci_b = boot.mean(xb)
            d, ci = boot.diff(xb, xa)
            n_posts = len(set(posts))
            too_small = len(ids) < min_pairs or n_posts < min_posts
            verdict = _verdict(ci, too_small)
            mine.append({"task": key[0], "split": key[1], "role": _role(base, key[0]), "run": other.label,
                         "n": len(ids), "posts": n_posts,
                         "only_first": len(a) - len(ids), "only_this": len(b) - len(ids),
                         "accuracy_first": estimate(acc_a, ci_a), "accuracy": estimate(acc_b, ci_b),
                         "diff": estimate(d, ci), "too_small": too_small, "verdict": verdict})
        # the pooled rows right after the held-out headline rows they pool
        cut = next((i for i, r in enumerate(mine) if r["split"] not in ("heldout_all", "heldout_all_hard")), len(mine))
        rows += mine[:cut] + pooled_rows(base, other, samples, seed, min_pairs, min_posts) + mine[cut:]
    return {"kind": "rmbench.compare", "schema_version": 1, "first": base.label,
            "runs": [{"label": r.label, "path": str(r.path), "model": r.doc["model"].get("id"),
                      "data_fingerprint": _fingerprint(r), "synthetic_data": bool(r.doc.get("synthetic_data")),
                      "results_sha256": r.results_sha256, "dropped": dict(r.dropped)} for r in runs],
            "bootstrap": {"samples": samples, "seed": seed, "level": LEVEL, "cluster": "post"},
            "min_report": {"pairs": min_pairs, "posts": min_posts}, "rows": rows}


def _verdict(ci, too_small: bool) -> str:
    """This run against the first, called only where the interval excludes 0."""
    return ("too small" if too_small else "better" if ci[0] > 0 else "worse" if ci[1] < 0
            else "no difference detected")


POOLED = "(pooled)"


def pooled_rows(base: RunPredictions, other: RunPredictions, samples: int, seed: int, min_pairs: int,
                min_posts: int) -> list[dict]:
    """Per held-out headline split with two or more held-out tasks: both runs over every pair of
    those tasks they share, posts resampled within each task (``metrics.stratified_means``, as
    ``sweep --leave-one-out`` pools)."""
    from rmbench.eval.metrics import percentile_interval, stratified_means

    rows = []
    for split in ("heldout_all", "heldout_all_hard"):
        keys = sorted(k for k in set(base.outcomes) & set(other.outcomes)
                      if k[1] == split and _role(base, k[0]) == "heldout")
        strata = []
        for key in keys:
            a, b = base.outcomes[key], other.outcomes[key]
            ids = sorted(set(a) & set(b))
            if ids:
                strata.append((key[0], post_ids_of(ids), [a[i] for i in ids], [b[i] for i in ids]))
        if len(strata) < 2:
            continue
        draws, _ = stratified_means([(posts, [xa, xb]) for _, posts, xa, xb in strata], samples, seed)
        xa = [v for s in strata for v in s[2]]
        xb = [v for s in strata for v in s[3]]
        n, n_posts = len(xa), sum(len(set(s[1])) for s in strata)
        ci = percentile_interval(draws[:, 1] - draws[:, 0])
        too_small = n < min_pairs or n_posts < min_posts
        rows.append({"task": POOLED, "tasks": [s[0] for s in strata], "split": split, "role": "heldout",
                     "run": other.label, "n": n, "posts": n_posts,
                     "only_first": sum(len(base.outcomes[k]) for k in keys) - n,
                     "only_this": sum(len(other.outcomes[k]) for k in keys) - n,
                     "accuracy_first": estimate(sum(xa) / n, percentile_interval(draws[:, 0])),
                     "accuracy": estimate(sum(xb) / n, percentile_interval(draws[:, 1])),
                     "diff": estimate((sum(xb) - sum(xa)) / n, ci), "too_small": too_small,
                     "verdict": _verdict(ci, too_small)})
    return rows


def labels_for(paths: list[Path]) -> list[str]:
    """Each run's folder name (a submission file's name without .json); where two share a
    name, their parent too, then a number."""
    names = [(p.stem if p.is_file() else p.name) or p.resolve().name for p in paths]  # ".": its folder's name
    out = []
    for p, name in zip(paths, names):
        label = name if names.count(name) == 1 or not p.parent.name else f"{p.parent.name}/{name}"
        out.append(label)
    return [lab if out.count(lab) == 1 else f"{lab}#{i + 1}" for i, lab in enumerate(out)]


def sheet(doc: dict):
    """The comparison as a table (``rmbench.tables``): one row per run, task and split."""
    from rmbench.tables import Column, Sheet

    first = doc["first"]
    out = Sheet([Column("task"), Column("split"), Column("role", f"role in {first}"), Column("run"),
                 Column("n", "pairs", "int"),
                 Column("posts", kind="int"), Column("accuracy_first", f"{first} %", "pct"),
                 Column("accuracy", "run %", "pct"), Column("ci95", "run 95% CI", "pct_ci"),
                 Column("diff", f"run - {first} (points)", "pp"), Column("diff_ci95", "95% CI", "pp_ci"),
                 Column("verdict", f"run vs {first}"), Column("unshared", "pairs in one run only", "int")],
                title=f"Paired comparison with {first}, on the pairs both runs scored",
                caption="Intervals: 95%, posts resampled with all their pairs; a difference is called only when "
                        "its interval excludes 0; too small: under "
                        f"{doc['min_report']['pairs']} pairs or {doc['min_report']['posts']} posts.")
    for r in doc["rows"]:
        out.add(r["task"], r["split"], r.get("role"), r["run"], r["n"], r["posts"], r["accuracy_first"]["value"],
                r["accuracy"]["value"], r["accuracy"]["ci95"], r["diff"]["value"], r["diff"]["ci95"], r["verdict"],
                r["only_first"] + r["only_this"])
    return out


def notes(doc: dict) -> list[str]:
    """What a reader must know beside the table: synthetic data, other data, skipped lines."""
    lines = []
    if any(r["synthetic_data"] for r in doc["runs"]):
        lines.append("Synthetic data: at least one run was scored on the generated demo corpus, not on people's votes.")
    if len({r["data_fingerprint"] for r in doc["runs"]}) > 1:
        lines.append("Different prepared data (--any-data): only the pair ids the runs share are compared.")
    for r in doc["runs"]:
        if r["dropped"]:
            why = ", ".join(f"{k} {v:,}" for k, v in sorted(r["dropped"].items()))
            lines.append(f"{r['label']}: predictions lines skipped: {why}")
    if not doc["rows"]:
        lines.append("No task and split was scored by both runs: nothing to compare.")
    return lines


def markdown(doc: dict, plot: str | None = None) -> str:
    """compare.md: the runs, the table, the notes, and ``plot`` (a file beside it) when given."""
    from rmbench.tables import markdown as table_md
    from rmbench.tables import md_escape as esc

    runs = [f"- **{esc(r['label'])}**: model {esc(r['model'])}, {esc(r['path'])} (results.json sha256 "
            f"{r['results_sha256'][:16]}, data {esc((r['data_fingerprint'] or '-')[:16])})" for r in doc["runs"]]
    said = notes(doc)
    body = [f"# rmbench compare: against {esc(doc['first'])}", ""]
    body += [f"> **{esc(line)}**\n" for line in said if line.startswith("Synthetic")]
    body += [*runs, "", table_md(sheet(doc))]
    body += [f"- {esc(line)}" for line in said if not line.startswith("Synthetic")]
    body += ["", f"![{plot}]({plot})"] if plot else []
    return "\n".join(body) + "\n"


def write_report(doc: dict, folder: Path, plot: str | None = None) -> list[Path]:
    """compare.md and compare.html in ``folder`` (``plot``: a file there the page inlines)."""
    from rmbench.htmlpage import write_markdown_and_page

    return write_markdown_and_page(Path(folder) / "compare.md", markdown(doc, plot), f"rmbench compare: {doc['first']}")


__all__ = ["RunPredictions", "write_report", "compare_runs", "labels_for", "load_run", "load_sweep", "markdown", "notes",
           "pooled_rows", "sheet"]
