"""A sweep's answer in sentences, above its tables in sweep.md / sweep.html. Leave one out: what
each cell ran, the pooled verdicts against baseline:confounds and beyond surface features, where
counting every task the same changes them, task by task, and what was too small to count. The
learning curves: where the model starts and ends, and at which sizes it beats confounds or adds
information. The transfer matrix: in how many comparisons a task's own training data helps. The
adaptation curve: each k, its gain over k = 0 paired on the same pairs, and where it clears its
best baseline.

Why: the page was two tables and a plot, and the one sentence a reader came for (does the model
beat the surface features over every held-out community?) had to be assembled from three columns
of the second table. Every number is sweep.json's own; nothing is recomputed here.
"""

from __future__ import annotations

from rmbench.eval.report import _ci, _dci, _pct, _pp

HARD = "similar-length, similar-time pairs"


def _verb(ci) -> str:
    """What a paired difference's 95% interval says: above 0, below 0, or 0 inside it."""
    if not ci or ci[0] is None:
        return "cannot be compared with"
    return "beats" if ci[0] > 0 else "is worse than" if ci[1] < 0 else "does not beat"


def _seeds_said(block: dict, key: str) -> str:
    over = block.get("over_seeds")
    return f" (in {over[key]} of {over['seeds']} seeds on its own)" if over else ""


def what_ran(result: dict) -> str:
    """The recipe of every cell, from the sweep's config."""
    cfg = result.get("config") or {}
    model, train, data = cfg.get("model") or {}, cfg.get("train") or {}, cfg.get("data") or {}
    loo = result.get("leave_one_out") or {}
    seeds = loo.get("seeds") or [cfg.get("seed")]
    budget = (f"at most {data['max_train_pairs']:,} pairs" if data.get("max_train_pairs") else "every pair")
    scored = (f"a sample of at most {data['limit']:,} pairs (--limit)" if data.get("limit") else "every post")
    epochs = train.get("epochs")
    return (f"Each cell trains {model.get('name', '?')} on {budget} of the other tasks ({epochs:g} "
            f"epoch{'' if epochs == 1 else 's'}, {model.get('max_length', 'auto')} tokens, learning rate "
            f"{train.get('learning_rate', 0):g}, training seed{'s' if len(seeds) > 1 else ''} "
            f"{', '.join(map(str, seeds))}) and scores {scored} of the task it holds out.")


def cell_links(result: dict) -> str:
    """Each cell's own report, relative to sweep.md (the folders ``run.loo`` names)."""
    from pathlib import PurePosixPath

    from rmbench.run.loo import cell_dir, seed_cells

    loo = result.get("leave_one_out") or {}
    runs = seed_cells(loo.get("seeds"), (result.get("config") or {}).get("seed"))
    links = [f"[{task if len(runs) == 1 else f'{task}, seed {s}'}]({cell_dir(PurePosixPath(), task, suffix)}/report.html)"
             for task in loo.get("tasks") or [] for s, suffix in runs]
    return "Each cell's report: " + ", ".join(links) + "." if links else ""


def _pooled(split: str, summ: dict, model: str) -> list[str]:
    p = summ["pooled"]
    what = "all pairs" if split == "heldout_all" else HARD
    d = p.get("diff") or {}
    out = [f"**Pooled over {len(summ['tasks'])} held-out tasks, on {what}** ({split}: {summ['n']:,} pairs from "
           f"{summ['posts']:,} posts), {model} **{_verb(d.get('ci95'))} baseline:confounds** (surface features "
           f"only): {_pct(p['accuracy']['value'])}% {_ci(p['accuracy']['ci95'])} against {_pct(p['confounds'])}%, "
           f"{_pp(d.get('value'))} points {_dci(d.get('ci95'))}{_seeds_said(p, 'clears')}."]
    st = p.get("stacked") or {}
    if st.get("adds_information") is not None:
        sd, surf = st["diff"], st.get("surface_diff")
        against = (f" and the surface stack (confounds plus the length difference) by {_pp(surf['value'])} "
                   f"{_dci(surf['ci95'])}" if surf else "")
        out.append(f"{'It **adds information**' if st['adds_information'] else 'It **does not add information**'} "
                   f"beyond surface features there{_seeds_said(p, 'adds_information')}: confounds plus its reward "
                   f"margin beats confounds alone by {_pp(sd['value'])} points {_dci(sd['ci95'])}{against}.")
    m = summ.get("mean_of_tasks") or {}
    if m.get("available", True) and m.get("diff"):
        changed = bool(m.get("clears")) != bool(p.get("clears")) or bool(
            (m.get("stacked") or {}).get("adds_information")) != bool(st.get("adds_information"))
        if changed:
            ms = (m.get("stacked") or {}).get("diff") or {}
            out.append(f"Counting each of its {len(m['tasks'])} tasks the same instead (mean of tasks), the answer "
                       f"changes: {_pp(m['diff']['value'])} points {_dci(m['diff']['ci95'])} against confounds, and "
                       f"{_pp(ms.get('value'))} {_dci(ms.get('ci95'))} for the stack (adds information: "
                       f"{'yes' if (m.get('stacked') or {}).get('adds_information') else 'no'}). A small task weighs "
                       "as much as a large one there: read both.")
    return out


def _by_task(rows: list[dict]) -> list[str]:
    """Task by task on all pairs (one seed: with several, the tables show each)."""
    counted = [r for r in rows if r["split"] == "heldout_all" and not r.get("too_small")]
    if len(counted) < 2 or len({r.get("seed") for r in counted}) > 1:
        return []
    beats = [r["task"] for r in counted if _verb(r.get("diff_confounds_ci95")) == "beats"]
    adds = [r["task"] for r in counted if r.get("adds_information")]
    return [f"Task by task on all pairs, it beats confounds on {len(beats)} of {len(counted)}"
            f"{' (' + ', '.join(beats) + ')' if beats else ''} and adds information on {len(adds)} of "
            f"{len(counted)}{' (' + ', '.join(adds) + ')' if adds else ''}."]


def loo_findings(result: dict) -> list[str]:
    """The sentences, in reading order; [] when the sweep has no finished leave-one-out part."""
    loo = result.get("leave_one_out") or {}
    if not loo.get("rows"):
        return []
    out = [what_ran(result)]
    for split, summ in (loo.get("summary") or {}).items():
        if summ.get("available"):
            out += _pooled(split, summ, ((result.get("config") or {}).get("model") or {}).get("name", "the model"))
    out += _by_task(loo["rows"])
    small = [f"{r['task']} {r['split']}{' (seed ' + str(r['seed']) + ')' if len(loo.get('seeds') or []) > 1 else ''}"
             f" ({r['n']:,} pairs from {r['posts']:,} posts)" for r in loo["rows"] if r.get("too_small")]
    if small:
        out.append("Too small to count on their own (shown; their pairs are in the pooled figures, never in a "
                   "mean of tasks): " + "; ".join(small) + ".")
    links = cell_links(result)
    return out + ([links] if links else [])


def _sizes(points: list[dict], key: str) -> str:
    said = [f"{p['train_pairs']:,}" for p in points if key(p)]
    return f"at {', '.join(said)} training pairs" if said else "at no size"


def curve_findings(result: dict) -> list[str]:
    """Per model of the learning curves: first and last point, and the sizes where each verdict holds."""
    out = []
    for model, points in (result.get("learning_curves") or {}).items():
        if not points:
            continue
        first, last = points[0], points[-1]
        split = first.get("split", "heldout_all")
        limit = ((result.get("config") or {}).get("data") or {}).get("limit")
        out.append(f"Learning curve, {model}, held-out {result.get('holdout', '')} {split}"
                   f"{f' (a sample of at most {limit:,} pairs, --limit)' if limit else ''}: "
                   f"{_pct(first['accuracy'])}% {_ci(first['ci95'])} at {first['train_pairs']:,} training pairs"
                   + (f", {_pct(last['accuracy'])}% {_ci(last['ci95'])} at {last['train_pairs']:,}"
                      if last is not first else "")
                   + f". It beats confounds {_sizes(points, lambda p: _verb(p.get('diff_confounds_ci95')) == 'beats')}"
                   f" and adds information {_sizes(points, lambda p: p.get('adds_information'))}.")
    return out


def transfer_findings(result: dict) -> list[str]:
    """How often a task's own training pairs beat another task's, on its test pairs."""
    t = result.get("transfer") or {}
    gaps = [(u, v, g) for u, by in (t.get("gaps") or {}).items() for v, g in by.items()]
    if not gaps:
        return []
    counted = [(u, v, g) for u, v, g in gaps if not g.get("too_small")]
    above = [f"{u}'s pairs against the {v}-trained model" for u, v, g in counted if _verb(g.get("ci95")) == "beats"]
    below = [f"{u}'s pairs against the {v}-trained model" for u, v, g in counted
             if _verb(g.get("ci95")) == "is worse than"]
    small = sorted({u for u, _, g in gaps if g.get("too_small")})
    if not counted:
        return [f"Transfer: all in-domain - held-out gaps are too small to count (the test pairs of "
                f"{', '.join(small)}): the matrix is shown, and says nothing about transfer."]
    out = [f"Transfer: on a task's own test pairs, the model trained on that task beats one trained on another in "
           f"{len(above)} of {len(counted)} counted comparisons{' (' + ', '.join(above) + ')' if above else ''} and "
           f"loses in {len(below)}{' (' + ', '.join(below) + ')' if below else ''}; in the rest the paired interval of "
           "the in-domain - held-out gap includes 0."]
    if small:
        out.append(f"Too small to count: the test pairs of {', '.join(small)} (their gaps are shown, never counted).")
    return out


def adapt_findings(result: dict) -> list[str]:
    """The few-shot curve: each k's accuracy, each k > 0 paired with k = 0 on the same pairs,
    and where it clears its best baseline."""
    a = result.get("adapt") or {}
    points = a.get("points") or []
    if not points:
        return []
    p0, split = points[0], a.get("split", "test")
    where = f"held-out {a.get('holdout', '')} {split}"
    said = []
    if split == "heldout_unseen":
        left = a.get("left_out_posts")
        said.append("every post no cell drew" + (f", {left:,} drawn posts left out" if left is not None else ""))
    if p0.get("too_small"):
        return [f"Few-shot adaptation on {where}{' (' + said[0] + ')' if said else ''}: its {p0['n']:,} pairs from "
                f"{p0['posts']:,} posts are too small to count (under eval.min_report_pairs/posts); the curve is shown "
                "and says nothing."] + _selection(a)
    said += [f"{p0['n']:,} pairs from {p0['posts']:,} posts"] if p0.get("n") else []
    size = f" ({'; '.join(said)})" if said else ""
    steps = ", ".join(f"{_pct(p['accuracy'])}% {_ci(p['ci95'])} at k = {p['k']:,}" for p in points)
    seeds = a.get("seeds")
    over = f"; k > 0 averaged over draw seeds {', '.join(map(str, seeds))}" if seeds else ""
    clearing = []
    for key, on in (("diff_confounds", "the same pairs"), ("diff_confounds_hard", f"its {HARD}")):
        versus = [(p["k"], p[key]) for p in points if p.get(key)]
        if versus:  # paired on the same pairs, so it holds for the seeds' average too
            beats = [f"{k:,}" for k, d in versus if not d.get("too_small") and d["ci95"][0] > 0]
            said = "; ".join(f"k = {k:,}: {_pp(d['value'])} {_dci(d['ci95'])}" for k, d in versus)
            n = versus[0][1]
            of = f" ({n['n']:,} pairs from {n['posts']:,} posts)" if key.endswith("_hard") else ""
            clearing.append(f"Against baseline:confounds on {on}{of}: {said}; "
                            + ("too small to count." if n.get("too_small") else
                               f"it beats confounds {'at k = ' + ', '.join(beats) if beats else 'at no k'}."))
    if not clearing:
        clears = [f"{p['k']:,}" for p in points if p.get("clears_best_baseline")]
        clearing.append(f"It clears its best baseline {'at k = ' + ', '.join(clears) if clears else 'at no k'}.")
    out = [f"Few-shot adaptation on {where}{size}: {steps} (k = 0: the transfer model as it is{over}). "
           + " ".join(clearing)]
    gains = [(p["k"], p["gain"], p.get("gain_by_seed")) for p in points if p.get("gain")]
    if gains:
        said = "; ".join(f"k = {k:,}: {_pp(g['value'])} {_dci(g['ci95'])}" + (" (too small to count)" if g.get("too_small")
                                                                          else "")
                         + (" (by seed: " + ", ".join(f"{_pp(x['value'])}" for x in by.values() if x) + ")" if by else "")
                         for k, g, by in gains)
        up = [f"{k:,}" for k, g, _ in gains if not g.get("too_small") and g["ci95"][0] > 0]
        down = [f"{k:,}" for k, g, _ in gains if not g.get("too_small") and g["ci95"][1] < 0]
        if all(g.get("too_small") for _, g, _ in gains):
            verdict = "The pairs are too few for any verdict"
        else:
            verdict = (f"The adapted model is better than k = 0 at k = {', '.join(up)}" if up
                       else "The adapted model is not detectably better than k = 0 at any k")
            verdict += f"; worse at k = {', '.join(down)}" if down else ""
        out.append(f"Paired with k = 0 on the same pairs: {said}. {verdict}.")
    return out + _scratch(a) + _selection(a)


def _scratch(a: dict) -> list[str]:
    """--adapt-scratch: the adapted model against the same k pairs trained from the base model alone."""
    alone = [p for p in a.get("points") or [] if p.get("scratch") and p.get("over_scratch")]
    if not alone:
        return []
    said = "; ".join(f"k = {p['k']:,}: {_pct(p['scratch']['value'])}% {_ci(p['scratch']['ci95'])}, the adapted model "
                     f"{_pp(p['over_scratch']['value'])} {_dci(p['over_scratch']['ci95'])}"
                     + (" (too small to count)" if p["over_scratch"].get("too_small") else "") for p in alone)
    counted = [p for p in alone if not p["over_scratch"].get("too_small")]
    ahead = [f"{p['k']:,}" for p in counted if p["over_scratch"]["ci95"][0] > 0]
    behind = [f"{p['k']:,}" for p in counted if p["over_scratch"]["ci95"][1] < 0]
    verdict = ("The pairs are too few for any verdict" if not counted else
               (f"The other communities' votes help at k = {', '.join(ahead)}" if ahead
                else "The other communities' votes do not detectably help at any k")
               + (f"; they hurt at k = {', '.join(behind)}" if behind else ""))
    return [f"The same k pairs trained from the base model alone (no other community's votes; at the k = 0 cell's "
            f"learning rate), paired on the same pairs: {said}. {verdict}."]


def _selection(a: dict) -> list[str]:
    """How each k > 0 cell was fine-tuned and its checkpoint chosen; with ``--adapt-select own``,
    where the starting model was kept (sweeps from before the option say nothing)."""
    if "select" not in a or len(a.get("points") or []) < 2:
        return []
    how = (f"Each k > 0 cell fine-tunes for {a.get('epochs', 0):g} epoch{'' if a.get('epochs') == 1 else 's'} at peak "
           f"rate {a.get('learning_rate', 0):g} and keeps ")
    if a["select"] != "own":
        return [how + "the checkpoint best on the held-in validation pairs (the other tasks' votes)."]
    kept = []
    for p in a["points"]:
        if p.get("kept"):
            start = [s for s, what in p["kept"].items() if what == "start"]
            kept.append(f"k = {p['k']:,}: {len(start)} of {len(p['kept'])}"
                        + (f" (draw seed{'s' if len(start) > 1 else ''} {', '.join(start)})" if start and len(p["kept"]) > 1 else ""))
    return [how + "the checkpoint best on a fifth of its own k pairs (whole posts held aside from the fine-tuning), "
            "or the model it started from where no checkpoint beats it on them. The starting model was kept at "
            + "; ".join(kept) + "."]


def findings(result: dict) -> list[str]:
    """Every part's sentences, in the page's order."""
    return curve_findings(result) + transfer_findings(result) + adapt_findings(result) + loo_findings(result)
