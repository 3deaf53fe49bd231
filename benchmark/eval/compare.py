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

import math
from pathlib import Path

from rmbench.errors import ConfigError
from rmbench.eval.compare_diff import difference_note, differences
from rmbench.eval.compare_load import Outcomes, RunPredictions, load_run, load_submission, load_sweep
from rmbench.eval.metrics import (INTERVAL_RULES, LEVEL, ClusterBootstrap, bootstrap_p, estimate, holm, percentile_interval,
                                  post_ids_of, recorded_rule, using_interval)

SPLIT_ORDER = ("heldout_all", "heldout_all_hard", "heldout_unseen", "heldout_unseen_hard", "test", "test_hard")


def _fingerprint(run: RunPredictions) -> str | None:
    return (run.doc.get("data") or {}).get("manifest_fingerprint")


def _role(run: RunPredictions, task: str) -> str | None:
    """heldout or in_domain, as a run's results.json says (None where it does not)."""
    entry = (run.doc.get("results") or {}).get(task)
    return entry.get("role") if isinstance(entry, dict) else None


ROLES_DIFFER = "roles differ"


# An adapted model (sweep --adapt) trained on some posts of the task it was held out from, but
# never on a post of these splits: there it is the transfer model plus k of the task's votes, and
# its paired difference to a held-out run is the adaptation curve's own question.
SAME_QUESTION = {frozenset({"heldout", "adapted"}): frozenset({"heldout_unseen", "heldout_unseen_hard", "test", "test_hard"})}


def _roles_differ(base: RunPredictions, other: RunPredictions, task: str, split: str) -> bool:
    """One run held the task out and the other trained on it (or adapted to it, on a split with
    posts it trained on): their accuracies answer different questions, so no verdict is drawn."""
    a, b = _role(base, task), _role(other, task)
    return a is not None and b is not None and a != b and split not in SAME_QUESTION.get(frozenset({a, b}), ())


def _order(key: tuple[str, str]) -> tuple:
    task, split = key
    return (split not in ("heldout_all", "heldout_all_hard"), task,
            SPLIT_ORDER.index(split) if split in SPLIT_ORDER else 99, split)


def compare_runs(runs: list[RunPredictions], *, samples: int = 1000, seed: int = 0, min_pairs: int = 50,
                 min_posts: int = 20, any_data: bool = False) -> dict:
    """The comparison document: every later run against the first, per (task, split) both scored.
    Intervals and p-values follow the first run's recorded interval rule (``eval.interval``), so a
    run set beside others keeps its own figures."""
    if len(runs) < 2:
        raise ConfigError("compare needs at least two run folders")
    rule = recorded_rule(runs[0].doc)
    if rule not in INTERVAL_RULES:
        raise ConfigError(f"{runs[0].label}: config.eval.interval is {rule!r}, not one of {', '.join(INTERVAL_RULES)}")
    with using_interval(rule):
        return {**_compare_runs(runs, samples, seed, min_pairs, min_posts, any_data), "interval": rule}


def _compare_runs(runs: list[RunPredictions], samples: int, seed: int, min_pairs: int, min_posts: int,
                  any_data: bool) -> dict:
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
        pairing = seed_pairing(base, other)
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
            d, draws = boot.diff_draws(xb, xa)
            ci = boot.interval(draws)
            n_posts = len(set(posts))
            too_small = len(ids) < min_pairs or n_posts < min_posts
            differ = _roles_differ(base, other, *key)
            verdict = ROLES_DIFFER if differ else _verdict(ci, too_small)
            mine.append({"task": key[0], "split": key[1], "role": _role(base, key[0]),
                         "role_this": _role(other, key[0]), "roles_differ": differ, "run": other.label,
                         "n": len(ids), "posts": n_posts,
                         "only_first": len(a) - len(ids), "only_this": len(b) - len(ids),
                         "accuracy_first": estimate(acc_a, ci_a), "accuracy": estimate(acc_b, ci_b),
                         "diff": estimate(d, ci), "p": boot.p(draws), "too_small": too_small, "verdict": verdict})
            if pairing:
                mine[-1]["over_seeds"] = _over_seeds(
                    [(s, *boot.diff([sb[key][i] for i in ids], [sa[key][i] for i in ids])) for s, sa, sb in pairing],
                    too_small)
        # the pooled rows right after the held-out headline rows they pool
        cut = next((i for i, r in enumerate(mine) if r["split"] not in ("heldout_all", "heldout_all_hard")), len(mine))
        rows += adjust(mine[:cut] + pooled_rows(base, other, samples, seed, min_pairs, min_posts) + mine[cut:])
    return {"kind": "rmbench.compare", "schema_version": 1, "first": base.label,
            "runs": [{"label": r.label, "path": str(r.path), "model": r.doc["model"].get("id"), "seeds": r.seeds,
                      "differs": differences(base.doc, r.doc) if r is not base else None,
                      "pairs_not_every_seed": r.not_every_seed,
                      "data_fingerprint": _fingerprint(r), "synthetic_data": bool(r.doc.get("synthetic_data")),
                      "results_sha256": r.results_sha256, "dropped": dict(r.dropped)} for r in runs],
            "bootstrap": {"samples": samples, "seed": seed, "level": LEVEL, "cluster": "post"},
            "min_report": {"pairs": min_pairs, "posts": min_posts}, "rows": rows}


def _verdict(ci, too_small: bool) -> str:
    """This run against the first, called only where the interval excludes 0."""
    return ("too small" if too_small else "better" if ci[0] > 0 else "worse" if ci[1] < 0
            else "no difference detected")


def adjust(rows: list[dict], level: float = 0.05) -> list[dict]:
    """Holm's adjustment over one run's rows with a verdict (not too small): ``p_holm`` and
    ``verdict_holm``, the verdict that holds for the whole table at once (a table of 14 rows,
    each at 5%, calls something by chance more often than 5% of the time)."""
    family = [r for r in rows if not r["too_small"] and not r.get("roles_differ") and not math.isnan(r["p"])]
    for r, p in zip(family, holm([r["p"] for r in family])):
        r["p_holm"] = round(p, 6)
        r["verdict_holm"] = "no difference detected" if p > level else "better" if r["diff"]["value"] > 0 else "worse"
    for r in rows:
        r["p"] = None if math.isnan(r["p"]) else round(r["p"], 6)
        r.setdefault("p_holm", None)
        r.setdefault("verdict_holm", ROLES_DIFFER if r.get("roles_differ") else "too small" if r["too_small"] else None)
    return rows


def seed_pairing(base: RunPredictions, other: RunPredictions) -> list[tuple[int, Outcomes, Outcomes]]:
    """(seed, the first run's outcomes, this run's) per training seed judged on its own: the seeds
    both sweeps trained, when both have several (a seed trains on the same sampled pairs in
    both); else each seed of the one with several against the other's outcomes; else none."""
    a, b = base.by_seed, other.by_seed
    if a and b:
        common = sorted(set(a) & set(b))
        return [(s, a[s], b[s]) for s in common] if len(common) >= 2 else []
    return ([(s, a[s], other.outcomes) for s in a] if a else [(s, base.outcomes, b[s]) for s in b] if b else [])


def _over_seeds(per_seed: list[tuple[int, float, list]], too_small: bool) -> dict:
    """Each seed's own paired difference and verdict, and how they agree."""
    each = [{"seed": s, "diff": estimate(d, ci), "verdict": _verdict(ci, too_small)} for s, d, ci in per_seed]
    diffs = [e["diff"]["value"] for e in each]
    return {"seeds": [e["seed"] for e in each], "by_seed": each, "diff_range": [min(diffs), max(diffs)],
            "better": sum(e["verdict"] == "better" for e in each), "worse": sum(e["verdict"] == "worse" for e in each)}


def seeds_text(over: dict | None) -> str | None:
    """'better in 2 of 3', 'worse in 3 of 3', 'better in 1, worse in 1 of 3', 'in none of 3', 'too small'."""
    if not over:
        return None
    if over.get("by_seed") and all(e["verdict"] == "too small" for e in over["by_seed"]):
        return "too small"  # no seed could call it: "in none of 2" read as two clear ties
    said = [f"{word} in {over[word]}" for word in ("better", "worse") if over[word]]
    return f"{', '.join(said) or 'in none'} of {len(over['seeds'])}"


POOLED = "(pooled)"


def pooled_rows(base: RunPredictions, other: RunPredictions, samples: int, seed: int, min_pairs: int,
                min_posts: int) -> list[dict]:
    """Per held-out headline split with two or more held-out tasks: both runs over every pair of
    those tasks they share, posts resampled within each task (``metrics.stratified_means``, as
    ``sweep --leave-one-out`` pools)."""
    rows = []
    pairing = seed_pairing(base, other)
    for split in ("heldout_all", "heldout_all_hard"):
        keys = sorted(k for k in set(base.outcomes) & set(other.outcomes)  # held out by both runs
                      if k[1] == split and _role(base, k[0]) == "heldout" and _role(other, k[0]) in ("heldout", None))
        shared = [(k, ids) for k in keys if (ids := sorted(set(base.outcomes[k]) & set(other.outcomes[k])))]
        if len(shared) < 2:
            continue
        (d, draws), (acc_a, ci_a), (acc_b, ci_b) = _pooled(shared, base.outcomes, other.outcomes, samples, seed)
        n = sum(len(ids) for _, ids in shared)
        n_posts = sum(len(set(post_ids_of(ids))) for _, ids in shared)
        ci = percentile_interval(draws, clusters=n_posts)
        too_small = n < min_pairs or n_posts < min_posts
        row = {"task": POOLED, "tasks": [k[0] for k, _ in shared], "split": split, "role": "heldout",
               "role_this": "heldout", "roles_differ": False, "run": other.label, "n": n, "posts": n_posts,
               "only_first": sum(len(base.outcomes[k]) for k in keys) - n,
               "only_this": sum(len(other.outcomes[k]) for k in keys) - n,
               "accuracy_first": estimate(acc_a, ci_a), "accuracy": estimate(acc_b, ci_b),
               "diff": estimate(d, ci), "p": bootstrap_p(draws, clusters=n_posts), "too_small": too_small,
               "verdict": _verdict(ci, too_small)}
        if pairing:
            per_seed = [(s, _pooled(shared, sa, sb, samples, seed)[0]) for s, sa, sb in pairing]
            row["over_seeds"] = _over_seeds([(s, d_s, percentile_interval(dr, clusters=n_posts)) for s, (d_s, dr) in per_seed], too_small)
        rows.append(row)
    return rows


def _pooled(shared: list, a: Outcomes, b: Outcomes, samples: int, seed: int) -> tuple:
    """(difference b - a, its resampled values), (accuracy of a, interval), (of b, interval) over
    the ``shared`` (key, pair ids) strata, posts resampled within each."""
    from rmbench.eval.metrics import stratified_means

    strata = [(post_ids_of(ids), [a[k][i] for i in ids], [b[k][i] for i in ids]) for k, ids in shared]
    draws, _ = stratified_means([(posts, [xa, xb]) for posts, xa, xb in strata], samples, seed)
    n = sum(len(xa) for _, xa, _ in strata)
    k = sum(len(set(posts)) for posts, _, _ in strata)  # every stratum's posts were resampled
    sa, sb = sum(v for _, xa, _ in strata for v in xa), sum(v for _, _, xb in strata for v in xb)
    return (((sb - sa) / n, draws[:, 1] - draws[:, 0]),
            (sa / n, percentile_interval(draws[:, 0], clusters=k)), (sb / n, percentile_interval(draws[:, 1], clusters=k)))


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
    seeded = any(r.get("over_seeds") for r in doc["rows"])
    out = Sheet([Column("task"), Column("split"), Column("role", f"role in {first}"), Column("role_this", "role in run"),
                 Column("run"),
                 Column("n", "pairs", "int"),
                 Column("posts", kind="int"), Column("accuracy_first", f"{first} %", "pct"),
                 Column("accuracy", "run %", "pct"), Column("ci95", "run 95% CI", "pct_ci"),
                 Column("diff", f"run - {first} (points)", "pp"), Column("diff_ci95", "95% CI", "pp_ci"),
                 Column("verdict", f"run vs {first}"), Column("verdict_holm", "Holm"),
                 Column("unshared", "pairs in one run only", "int")]
                + ([Column("seeds", "verdict in seeds"), Column("seed_range", "diff range over seeds", "pp_ci")]
                   if seeded else []),
                title=f"Paired comparison with {first}, on the pairs both runs scored",
                caption="Intervals: 95%, posts resampled with all their pairs; a difference is called only when "
                        "its interval excludes 0; too small: under "
                        f"{doc['min_report']['pairs']} pairs or {doc['min_report']['posts']} posts. Holm: the verdict "
                        "with every row of that run in one family (bootstrap p-values, Holm's step-down at 5%), "
                        "for reading the whole table at once.")
    for r in doc["rows"]:
        out.add(r["task"], r["split"], r.get("role"), r.get("role_this"), r["run"], r["n"], r["posts"], r["accuracy_first"]["value"],
                r["accuracy"]["value"], r["accuracy"]["ci95"], r["diff"]["value"], r["diff"]["ci95"], r["verdict"],
                r.get("verdict_holm"), r["only_first"] + r["only_this"],
                *([seeds_text(r.get("over_seeds")), (r.get("over_seeds") or {}).get("diff_range")] if seeded else []))
    return out


def notes(doc: dict) -> list[str]:
    """What a reader must know beside the table: synthetic data, other data, skipped lines."""
    lines = []
    if any(r["synthetic_data"] for r in doc["runs"]):
        lines.append("Synthetic data: at least one run was scored on the generated demo corpus, not on people's votes.")
    if len({r["data_fingerprint"] for r in doc["runs"]}) > 1:
        lines.append("Different prepared data (--any-data): only the pair ids the runs share are compared.")
    for r in doc["runs"]:
        if r.get("seeds") and len(r["seeds"]) > 1:
            left = r.get("pairs_not_every_seed") or 0
            lines.append(f"{r['label']}: each pair's outcome is the mean over training seeds "
                         f"{', '.join(map(str, r['seeds']))}" + (f" ({left:,} pairs not scored by every seed's cell left out)"
                                                                if left else ""))
        if r["dropped"]:
            why = ", ".join(f"{k} {v:,}" for k, v in sorted(r["dropped"].items()))
            lines.append(f"{r['label']}: predictions lines skipped: {why}")
    for r in doc["runs"][1:]:
        if r.get("differs") is not None:  # None: a run without its config; absent: an older compare.json
            lines.append(difference_note(r["label"], doc["first"], r["differs"]))
    differ = sorted({(r["run"], r["task"], r.get("role"), r.get("role_this")) for r in doc["rows"] if r.get("roles_differ")})
    for run, task, a, b in differ:
        lines.append(f"{run}: {task} is {b} there but {a} in {doc['first']} (one run trained on it): its rows show "
                     f"both accuracies and no verdict ({ROLES_DIFFER}), and no pooled row counts it.")
    adapted = sorted({(r["run"], r["task"]) for r in doc["rows"] if not r.get("roles_differ")
                      and {r.get("role"), r.get("role_this")} == {"heldout", "adapted"}})
    for run, task in adapted:
        lines.append(f"{run}: {task} is adapted in one run and held out in the other; they are compared on the "
                     "splits with no post the adapted model trained on (heldout_unseen, test and their hard pairs).")
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


__all__ = ["RunPredictions", "write_report", "compare_runs", "labels_for", "load_run", "load_submission", "load_sweep",
           "markdown", "notes", "pooled_rows", "seed_pairing", "seeds_text", "sheet"]
