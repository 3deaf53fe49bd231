"""The adaptation curve's comparisons (``rmbench sweep --adapt``, cells by ``rmbench.run.adapt``):
which split the points stand on, each k's cells' outcomes averaged over their draw seeds and
paired with k = 0 and with baseline:confounds on the same pairs, and the points sweep.json keeps."""

from __future__ import annotations

from pathlib import Path


def adapt_split(docs: dict[int, dict], holdout: str) -> str:
    """The split the curve's points stand on: heldout_unseen where every cell scored it (cells
    made before it existed, or a curve of k = 0 alone, scored only test)."""
    return "heldout_unseen" if all("heldout_unseen" in d["results"][holdout]["splits"] for d in docs.values()) \
        else "test"


def _averaged(per: list[dict[str, float]]) -> dict[str, float]:
    """Each pair's outcome averaged over the cells' outcomes (one per draw seed), on the pairs all of them scored."""
    ids = set.intersection(*(set(o) for o in per)) if per else set()
    return {i: sum(o[i] for o in per) / len(per) for i in ids}


def _read(cell: Path, holdout: str, split: str) -> tuple[dict[str, float], dict[str, float]]:
    """The model's and baseline:confounds' outcome per pair, as the cell's card counted them
    (its scores file, read as leave-one-out reads it); empty where the cell did not score the split."""
    from rmbench.run.loo import _outcomes

    if not (cell / "scores" / f"{holdout}.{split}.json").is_file():
        return {}, {}
    ids, model, conf, _, _ = _outcomes(cell, holdout, split)
    return dict(zip(ids, model.tolist())), ({} if isinstance(conf, str) else dict(zip(ids, conf.tolist())))


def _mean(avg: dict[str, float], samples: int, seed: int) -> dict:
    """The accuracy of outcomes averaged over seeds, post-clustered, with its pairs and posts."""
    from rmbench.eval.metrics import ClusterBootstrap, estimate, post_ids_of

    ids = sorted(avg)
    return {**estimate(*ClusterBootstrap(post_ids_of(ids), samples, seed).mean([avg[i] for i in ids])),
            "n": len(ids), "posts": len(set(post_ids_of(ids)))}


def compared(cells: dict[int, list[tuple[int, Path]]], holdout: str, split: str, ev, samples: int, seed: int,
             scratch: dict[int, list[tuple[int, Path]]] | None = None) -> dict:
    """Per k and split (``split`` and its hard one): the k cells' outcomes averaged over their draw
    seeds, paired with k = 0 (``gain``; each seed's own in ``by_seed``) and with baseline:confounds
    on the same pairs (``confounds``), and with several seeds the averaged accuracy (``mean``).
    ``scratch`` (``--adapt-scratch``): per k the cells trained on the same draws from the base
    model alone; their averaged accuracy (``scratch``) and the adapted cells' paired difference
    to them (``over_scratch``): what the other communities' votes are worth at k."""
    from rmbench.run.paired import paired_gap
    from rmbench.run.plan import hard_of

    base = cells[0][0][1]
    out: dict = {}
    for name in (split, hard_of(split)):
        first, conf = _read(base, holdout, name)
        for k, runs in cells.items():
            per = {s: first if c == base else _read(c, holdout, name)[0] for s, c in runs}  # each file read once
            avg = _averaged(list(per.values()))
            e = out.setdefault(k, {})[name] = {"gain": None, "by_seed": None, "mean": None,
                                               "confounds": paired_gap(avg, conf, samples, seed, ev) if conf else None}
            if k:
                e["gain"] = paired_gap(avg, first, samples, seed, ev)
            if len(runs) > 1 and avg:
                e["mean"] = _mean(avg, samples, seed)
                e["by_seed"] = {str(s): paired_gap(o, first, samples, seed, ev) for s, o in per.items()} if k else None
            alone = _averaged([_read(c, holdout, name)[0] for _, c in (scratch or {}).get(k, [])])
            if k and alone:
                e["scratch"] = _mean(alone, samples, seed)
                e["over_scratch"] = paired_gap(avg, alone, samples, seed, ev)
    return out


def adapt_points(docs: dict[int, dict], holdout: str, split: str = "test", extra: dict | None = None,
                 seeds: list[int] | None = None) -> list[dict]:
    """One point per k on ``split`` and its hard counterpart: the accuracy, its interval, the
    bars beside it, test's accuracy (comparable with in-domain figures) and, from ``extra``
    (``compared``), the paired gain over k = 0 and the difference to confounds on the same pairs,
    and with ``--adapt-scratch`` the from-scratch cells' accuracy and the paired difference to them.
    With several draw ``seeds`` a k > 0 point's accuracy is the seeds' average (its cell's card
    is one seed's), and its card's best-baseline verdict is left out (None): ``diff_confounds`` says it."""
    from rmbench.run.plan import hard_of

    hard_name = hard_of(split)
    points = []
    for k, doc in sorted(docs.items()):
        splits = doc["results"][holdout]["splits"]
        card, hard, test = splits[split], splits.get(hard_name) or {}, splits.get("test") or {}
        base = card["baselines"]
        e, eh = ((extra or {}).get(k) or {}).get(split) or {}, ((extra or {}).get(k) or {}).get(hard_name) or {}
        point = {"k": k, "train_pairs": (doc["model"]["training"].get("adapt") or {}).get("pairs", 0),
                 "split": split, "accuracy": card["accuracy"], "ci95": card["ci95"], "n": card.get("n"),
                 "posts": card.get("posts"), "too_small": card.get("too_small"),
                 "accuracy_hard": hard.get("accuracy"), "ci95_hard": hard.get("ci95"),
                 "accuracy_test": test.get("accuracy"), "ci95_test": test.get("ci95"),
                 "gain": e.get("gain"), "gain_hard": eh.get("gain"), "gain_by_seed": e.get("by_seed"),
                 "diff_confounds": e.get("confounds"), "diff_confounds_hard": eh.get("confounds"),
                 **({"scratch": e["scratch"], "scratch_hard": eh.get("scratch"), "over_scratch": e.get("over_scratch"),
                     "over_scratch_hard": eh.get("over_scratch")} if e.get("scratch") else {}),
                 "best_baseline": card["best_baseline"], "clears_best_baseline": card["clears_best_baseline"],
                 "longer": (base.get("longer") or {}).get("accuracy"),
                 "confounds": (base.get("confounds") or {}).get("accuracy")}
        if e.get("mean"):  # several draws: the seeds' average, not one seed's card
            point.update(accuracy=e["mean"]["value"], ci95=e["mean"]["ci95"], n=e["mean"]["n"], posts=e["mean"]["posts"],
                         seeds=list(seeds or []),
                         accuracy_hard=(eh.get("mean") or {}).get("value"), ci95_hard=(eh.get("mean") or {}).get("ci95"),
                         accuracy_test=None, ci95_test=None, clears_best_baseline=None)
        points.append(point)
    return points
