"""The findings of a run's report: the sentences about its held-out splits that a reader must
not miss (at chance, scoring as longer-wins does, below chance where voters preferred the
shorter answer, the stacked "adds information" verdict, against baseline:confounds).

Read from results.json alone, through ``report.rows``; report.md lists them above its tables.
"""

from __future__ import annotations

from rmbench.eval.report import _ci, _dci, _pct, _pp, counted_heldout
from rmbench.eval.stacked import verdict_text


def _beyond_length(r: dict) -> list[str]:
    """What in a split's own controls shows a model knows more than length: a length-controlled
    accuracy whose interval lies above 50% (longer-wins' 50%), or the stacked verdict (yes)."""
    out = []
    lc = r["lc"]
    if lc.get("ci95") and lc["ci95"][0] is not None and lc["ci95"][0] > 0.5 and not lc.get("too_small"):
        out.append(f"length-controlled it scores {_pct(lc['accuracy'])}% {_ci(lc['ci95'])} (longer-wins: 50%)")
    if r["stacked"].get("available") and r["stacked"].get("adds_information") and not r["too_small"]:
        out.append("it adds information beyond surface features (below)")
    return out


def judge_findings(doc: dict) -> list[str]:
    """A judge's position check on each counted held-out split (``rmbench.eval.judge``). A judge
    that answers by position scores near 50% with an interval that can look like a weak signal;
    its consistency across the two orders is what shows it read nothing (SmolLM2-135M: 0%)."""
    model, out = doc["model"]["id"], []
    for r in counted_heldout(doc):
        j = doc["results"][r["task"]]["splits"][r["split"]].get("judge")
        if not j:
            continue
        pc, first, mass = j["position_consistency"], j.get("first_position_rate"), j.get("label_mass")
        hi = (pc.get("ci95") or [None, None])[1]
        by_position = (hi is not None and hi < 0.5) or (first is not None and abs(first - 0.5) >= 0.4)
        said = (f"the same verdict in both orders on {_pct(pc['accuracy'])}% {_ci(pc['ci95'])} of pairs; it picked the "
                f"reply shown first in {_pct(first)}% of its verdicts (no position bias: 50%)"
                + (f"; {_pct(mass)}% of its probability went to the two labels" if mass is not None else ""))
        where = f"{r['task']}/{r['split']}"
        verdicts = (j.get("verdict_accuracy") or {}).get("accuracy")
        out.append(f"**{model} judges by position on {where}**: {said}. Its verdicts follow the order shown, not the "
                   f"replies (they score {_pct(verdicts)}%, always picking the first reply "
                   f"{_pct(j.get('first_position_baseline'))}%); its accuracy comes only from its label "
                   "probabilities averaged over both orders."
                   if by_position else f"Position check of judge {model} on {where}: {said}.")
    return out


def findings(doc: dict) -> list[str]:
    """Sentences about the held-out splits that a reader must not miss."""
    model = doc["model"]["id"]
    out = []
    for r in counted_heldout(doc):
        where = f"{r['task']}/{r['split']}"
        longer = r["baselines"].get("longer") or {}
        lci = longer.get("diff_ci95")
        if r["at_chance"]:
            out.append(f"**{model} is at chance on {where}**: the 95% interval of its difference to 50% "
                       f"({_dci(doc['results'][r['task']]['splits'][r['split']]['vs_chance']['ci95'])} points) "
                       f"includes 0. Whatever its ECE, it has learned nothing this split can see.")
        elif lci and lci[0] is not None and lci[0] <= 0 <= lci[1] and model not in ("baseline:longer", "baseline:shorter"):
            tie = (f"(difference {_pp(longer.get('diff'))} points, 95% interval {_dci(lci)})")
            beyond = _beyond_length(r)
            # Equal accuracy is not the same ranking: a model can tie longer-wins overall and still
            # be right where length is not (reddit-college minilm-2k: +0.1 to longer-wins, yet 57.3%
            # length-controlled and adds information). Say "only length" only when no control disagrees.
            out.append(f"**{model} scores as longer-wins does on {where}** {tie}, yet it is not length alone: "
                       + "; ".join(beyond) + "." if beyond else
                       f"**{model} is indistinguishable from longer-wins on {where}** {tie}: on these pairs it has "
                       f"learned length, and nothing measurable about what {r['task']} prefers beyond it.")
        cue = r["cue"]
        if cue.get("ci95") and cue["ci95"][1] is not None and cue["ci95"][1] < 0.5 and not cue.get("too_small"):
            out.append(f"In the cue-conflict cell of {where} (n={cue['n']}: the chosen response is shorter by "
                       f">= {cue['min_length_ratio']:g}x) it scores {_pct(cue['accuracy'])}% {_ci(cue['ci95'])}, "
                       "below chance: where voters preferred the shorter answer, it preferred the longer one.")
        s = r["stacked"]
        if s.get("available") and s.get("adds_information") is not None:
            surface = "" if "surface_diff" not in s else (
                f", and against {_pct(s['surface_accuracy'])}% for the surface stack (confounds plus the length "
                f"difference, fitted the same way), {_pp(s['surface_diff'])} points {_dci(s['surface_diff_ci95'])}")
            out.append(f"**{verdict_text(s['adds_information'])}** on {where}: confounds plus {model}'s reward margin "
                       f"(one logistic model) scores {_pct(s['accuracy'])}% against {_pct(s['confounds_accuracy'])}% for "
                       f"baseline:confounds alone, {_pp(s['diff'])} points {_dci(s['diff_ci95'])}{surface}.")
        conf = r["baselines"].get("confounds") or {}
        if conf.get("diff_ci95") and conf["diff_ci95"][0] is not None and model != "baseline:confounds":
            beats = conf["diff_ci95"][0] > 0
            out.append(f"Against baseline:confounds (surface features only) on {where}: {_pp(conf['diff'])} points "
                       f"{_dci(conf['diff_ci95'])}: " + ("it beats the confound baseline." if beats else
                                                          "it does not beat the confound baseline."))
    return judge_findings(doc) + out
