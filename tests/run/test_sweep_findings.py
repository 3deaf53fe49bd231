"""A leave-one-out sweep's answer in sentences (rmbench.run.sweep_findings): each says what sweep.json says."""

from __future__ import annotations

from rmbench.run.sweep_findings import loo_findings
from rmbench.run.sweep_report import sweep_markdown


def _est(v, lo, hi):
    return {"value": v, "ci95": [lo, hi]}


def _block(diff, stacked, surface, clears, adds, **extra):
    return {"accuracy": _est(0.688, 0.676, 0.699), "confounds": 0.692, "diff": diff, "clears": clears,
            "stacked": {"accuracy": _est(0.70, 0.69, 0.71), "diff": stacked, "surface_diff": surface,
                        "adds_information": adds}, **extra}


def _row(task, split, n, posts, diff_ci, adds, seed=0, too_small=False):
    return {"task": task, "split": split, "seed": seed, "n": n, "posts": posts, "too_small": too_small,
            "accuracy": 0.66, "ci95": [0.64, 0.68],
            "diff_confounds": sum(diff_ci) / 2, "diff_confounds_ci95": diff_ci, "adds_information": adds}


def _sweep(seeds=(0,)) -> dict:
    pooled = _block(_est(-0.004, -0.014, 0.007), _est(0.011, 0.006, 0.017), _est(0.013, 0.007, 0.019), False, True)
    macro = _block(_est(-0.015, -0.037, 0.006), _est(-0.001, -0.011, 0.008), _est(0.001, -0.009, 0.011), False, False,
                   tasks=["a", "e", "g"])
    hard = _block(_est(0.08, 0.05, 0.109), _est(0.054, 0.032, 0.075), _est(0.054, 0.032, 0.075), True, True)
    rows = [_row("a", "heldout_all", 5088, 1231, [-0.019, 0.006], True),
            _row("e", "heldout_all", 231, 107, [-0.104, -0.002], False),
            _row("g", "heldout_all", 4242, 1066, [0.01, 0.03], True),
            _row("e", "heldout_all_hard", 7, 7, [-0.78, 0.0], None, too_small=True)]
    return {"holdout": "writingprompts", "config": {"seed": 0, "model": {"name": "minilm", "max_length": 128},
                       "train": {"epochs": 1.0, "learning_rate": 1e-4}, "data": {"max_train_pairs": 2000}},
            "leave_one_out": {"tasks": ["a", "e", "g"], "seeds": list(seeds), "rows": rows, "summary": {
                "heldout_all": {"available": True, "tasks": ["a", "e", "g"], "n": 9561, "posts": 2404,
                                "pooled": pooled, "mean_of_tasks": macro},
                "heldout_all_hard": {"available": True, "tasks": ["a", "e", "g"], "n": 2028, "posts": 923,
                                     "pooled": hard, "mean_of_tasks": {**hard, "tasks": ["a", "g"]}}}}}


def test_the_answer_says_each_verdict_with_its_numbers():
    said = loo_findings(_sweep())
    assert said[0].startswith("Each cell trains minilm on at most 2,000 pairs") and "training seed 0" in said[0]
    assert ("**Pooled over 3 held-out tasks, on all pairs** (heldout_all: 9,561 pairs from 2,404 posts), minilm "
            "**does not beat baseline:confounds**") in said[1] and "-0.4 points [-1.4, +0.7]" in said[1]
    assert said[2].startswith("It **adds information**") and "+1.1 points [+0.6, +1.7]" in said[2] and "+1.3 [+0.7, +1.9]" in said[2]
    # the mean of tasks differs from pooled on adds information: said; on hard pairs it agrees: not said
    assert "the answer changes" in said[3] and "adds information: no" in said[3]
    assert "on similar-length, similar-time pairs" in said[4] and "**beats baseline:confounds**" in said[4]
    assert sum("the answer changes" in s for s in said) == 1
    assert "beats confounds on 1 of 3 (g) and adds information on 2 of 3 (a, g)" in said[6]
    assert "e heldout_all_hard (7 pairs from 7 posts)" in said[7]
    assert said[8] == ("Each cell's report: [a](cells/loo-a/report.html), [e](cells/loo-e/report.html), "
                       "[g](cells/loo-g/report.html).")


def test_an_interval_below_zero_is_worse_and_seeds_say_how_many_agree():
    doc = _sweep(seeds=(0, 1))
    pooled = doc["leave_one_out"]["summary"]["heldout_all"]["pooled"]
    pooled["diff"] = _est(-0.02, -0.03, -0.01)
    pooled["over_seeds"] = {"seeds": 2, "clears": 0, "adds_information": 1}
    said = loo_findings(doc)
    assert "**is worse than baseline:confounds**" in said[1] and "(in 0 of 2 seeds on its own)" in said[1]
    assert "(in 1 of 2 seeds on its own)" in said[2]
    assert "training seeds 0, 1" in said[0] and "[a, seed 1](cells/loo-a-seed1/report.html)" in said[-1]


def test_the_page_leads_with_the_answer_and_a_sweep_without_leave_one_out_has_none():
    page = sweep_markdown(_sweep())
    assert page.index("## What it says") < page.index("**Leave one out")
    assert loo_findings({"holdout": "wp", "learning_curves": {}}) == []
    assert "What it says" not in sweep_markdown({"holdout": "wp"})


def test_the_learning_curve_and_transfer_say_where_each_verdict_holds():
    from rmbench.run.sweep_findings import curve_findings, transfer_findings

    point = {"split": "heldout_all", "accuracy": 0.79, "ci95": [0.70, 0.87], "train_pairs": 250,
             "diff_confounds_ci95": [-0.1, 0.1], "adds_information": True}
    big = {**point, "train_pairs": 4000, "accuracy": 0.83, "diff_confounds_ci95": [0.01, 0.05]}
    said = curve_findings({"holdout": "wp", "config": {"data": {"limit": 100}},
                           "learning_curves": {"minilm": [point, {**point, "train_pairs": 1000, "adds_information": False}, big]}})
    assert said == ["Learning curve, minilm, held-out wp heldout_all (a sample of at most 100 pairs, --limit): 79.0% "
                    "[70.0, 87.0] at 250 training pairs, 83.0% [70.0, 87.0] at 4,000. It beats confounds at 4,000 "
                    "training pairs and adds information at 250, 4,000 training pairs."]

    def gap(lo, hi, small=False):
        return {"value": (lo + hi) / 2, "ci95": [lo, hi], "n": 80, "posts": 30, "too_small": small}

    t = {"gaps": {"a": {"b": gap(0.01, 0.1), "c": gap(-0.1, 0.1)}, "b": {"a": gap(-0.2, -0.05)},
                  "c": {"a": gap(0.2, 0.3, small=True)}}}
    said = transfer_findings({"transfer": t})
    assert ("beats one trained on another in 1 of 3 counted comparisons (a's pairs against the b-trained model) and "
            "loses in 1 (b's pairs against the a-trained model)") in said[0]
    assert said[1] == "Too small to count: the test pairs of c (their gaps are shown, never counted)."
    for by in t["gaps"].values():
        for g in by.values():
            g["too_small"] = True
    assert "all in-domain - held-out gaps are too small to count (the test pairs of a, b, c)" in transfer_findings({"transfer": t})[0]


def test_the_adaptation_curve_says_each_k_or_that_its_test_split_is_too_small():
    from rmbench.run.sweep_findings import adapt_findings

    pt = {"k": 0, "accuracy": 0.6, "ci95": [0.55, 0.65], "n": 303, "posts": 73, "too_small": False,
          "clears_best_baseline": False}
    doc = {"adapt": {"holdout": "askacademia", "points": [pt, {**pt, "k": 1000, "accuracy": 0.7,
                                                                "clears_best_baseline": True}]}}
    assert adapt_findings(doc) == [
        "Few-shot adaptation on held-out askacademia test (303 pairs from 73 posts): 60.0% [55.0, 65.0] at k = 0, "
        "70.0% [55.0, 65.0] at k = 1,000 (k = 0: the transfer model as it is). It clears its best baseline at k = 1,000."]
    for p in doc["adapt"]["points"]:
        p.update(n=34, posts=8, too_small=True)
    assert "its 34 pairs from 8 posts are too small to count" in adapt_findings(doc)[0]
    assert adapt_findings({"adapt": {"points": []}}) == []


def test_the_adaptation_curve_on_the_unseen_posts_pairs_each_k_with_k0():
    from rmbench.run.sweep_findings import adapt_findings

    pt = {"k": 0, "accuracy": 0.6, "ci95": [0.58, 0.62], "n": 3900, "posts": 800, "too_small": False, "gain": None}
    up = {"value": 0.03, "ci95": [0.01, 0.05], "n": 3900, "posts": 800, "too_small": False}
    flat = {"value": -0.01, "ci95": [-0.03, 0.01], "n": 3900, "posts": 800, "too_small": False}
    doc = {"adapt": {"holdout": "askacademia", "split": "heldout_unseen", "left_out_posts": 412,
                     "points": [pt, {**pt, "k": 100, "gain": flat}, {**pt, "k": 1000, "accuracy": 0.63, "gain": up}]}}
    said = adapt_findings(doc)
    assert said[0].startswith("Few-shot adaptation on held-out askacademia heldout_unseen (every post no cell drew, "
                              "412 drawn posts left out; 3,900 pairs from 800 posts): 60.0% [58.0, 62.0] at k = 0")
    assert said[1] == ("Paired with k = 0 on the same pairs: k = 100: -1.0 [-3.0, +1.0]; k = 1,000: +3.0 [+1.0, +5.0]. "
                       "The adapted model is better than k = 0 at k = 1,000.")
    # against confounds on the same pairs, and on its hard pairs, each paired; averaged over draw seeds
    for p, d in zip(doc["adapt"]["points"], (-0.01, 0.0, 0.02)):
        p["diff_confounds"] = {"value": d, "ci95": [d - 0.01, d + 0.015], "n": 3900, "posts": 800, "too_small": False}
        p["diff_confounds_hard"] = {"value": d, "ci95": [d - 0.03, d + 0.02], "n": 600, "posts": 250, "too_small": False}
    doc["adapt"]["seeds"] = [0, 1, 2]
    first = adapt_findings(doc)[0]
    assert first.startswith("Few-shot adaptation on held-out askacademia heldout_unseen (every post no cell drew, "
                             "412 drawn posts left out; 3,900 pairs from 800 posts)")
    assert "at k = 1,000 (k = 0: the transfer model as it is; k > 0 averaged over draw seeds 0, 1, 2)." in first
    assert ("Against baseline:confounds on the same pairs: k = 0: -1.0 [-2.0, +0.5]; k = 100: +0.0 [-1.0, +1.5]; "
            "k = 1,000: +2.0 [+1.0, +3.5]; it beats confounds at k = 1,000. Against baseline:confounds on its "
            "similar-length, similar-time pairs (600 pairs from 250 posts): k = 0: -1.0 [-4.0, +1.0]") in first
    assert first.endswith("it beats confounds at no k.")
    doc["adapt"]["points"][2]["gain"] = {**up, "ci95": [-0.01, 0.05]}
    assert said_second(doc) == "The adapted model is not detectably better than k = 0 at any k."
    doc["adapt"]["points"][1]["gain"] = {**flat, "ci95": [-0.05, -0.01]}
    assert said_second(doc) == "The adapted model is not detectably better than k = 0 at any k; worse at k = 100."
    for p in doc["adapt"]["points"][1:]:
        p["gain"] = {**p["gain"], "n": 30, "posts": 9, "too_small": True}
    assert said_second(doc) == "The pairs are too few for any verdict."
    assert "(too small to count)" in adapt_findings(doc)[1]



def test_the_adaptation_curve_says_where_each_checkpoint_was_chosen_and_where_the_start_was_kept():
    from rmbench.run.sweep_findings import adapt_findings

    pt = {"k": 0, "accuracy": 0.6, "ci95": [0.58, 0.62], "n": 3900, "posts": 800, "too_small": False, "gain": None}
    gain = {"value": 0.0, "ci95": [-0.01, 0.01], "n": 3900, "posts": 800, "too_small": False}
    a = {"holdout": "askacademia", "split": "heldout_unseen", "epochs": 3.0, "learning_rate": 1e-4, "select": "held-in",
         "points": [pt, {**pt, "k": 100, "gain": gain}, {**pt, "k": 1000, "gain": gain}]}
    assert adapt_findings({"adapt": a})[-1] == (
        "Each k > 0 cell fine-tunes for 3 epochs at peak rate 0.0001 and keeps the checkpoint best on the held-in "
        "validation pairs (the other tasks' votes).")
    a["select"] = "own"
    a["points"][1]["kept"] = {"0": "start", "1": "checkpoint-8", "2": "start"}
    a["points"][2]["kept"] = {"0": "checkpoint-40", "1": "checkpoint-80", "2": "checkpoint-40"}
    said = adapt_findings({"adapt": a})
    assert said[1].startswith("Paired with k = 0 on the same pairs")  # the verdict stays second
    assert said[-1].endswith("or the model it started from where no checkpoint beats it on them. The starting model "
                             "was kept at k = 100: 2 of 3 (draw seeds 0, 2); k = 1,000: 0 of 3.")
    del a["select"]  # a sweep from before --adapt-select: nothing said about it
    assert len(adapt_findings({"adapt": a})) == 2

def said_second(doc: dict) -> str:
    from rmbench.run.sweep_findings import adapt_findings

    return adapt_findings(doc)[1].split(". ", 1)[1]


def test_under_limit_the_recipe_never_says_every_post():
    doc = _sweep()
    doc["config"]["data"]["limit"] = 100
    assert "scores a sample of at most 100 pairs (--limit) of the task it holds out" in loo_findings(doc)[0]


def test_the_adaptation_curve_says_what_the_other_communities_votes_are_worth_against_the_same_pairs_alone():
    from rmbench.run.sweep_findings import adapt_findings

    pt = {"k": 0, "accuracy": 0.6, "ci95": [0.58, 0.62], "n": 3900, "posts": 800, "too_small": False, "gain": None}
    gap = {"value": 0.0, "ci95": [-0.01, 0.01], "n": 3900, "posts": 800, "too_small": False}
    a = {"holdout": "askacademia", "split": "heldout_unseen",
         "points": [pt, {**pt, "k": 100, "gain": gap, "scratch": {"value": 0.52, "ci95": [0.5, 0.54]},
                         "over_scratch": {**gap, "value": 0.1, "ci95": [0.08, 0.12]}},
                    {**pt, "k": 1000, "gain": gap, "scratch": {"value": 0.61, "ci95": [0.59, 0.63]},
                     "over_scratch": {**gap, "value": -0.01, "ci95": [-0.02, -0.001]}}]}
    said = adapt_findings({"adapt": a})[-1]
    assert said == ("The same k pairs trained from the base model alone (no other community's votes; at the k = 0 "
                    "cell's learning rate), paired on the same pairs: k = 100: 52.0% [50.0, 54.0], the adapted model "
                    "+10.0 [+8.0, +12.0]; k = 1,000: 61.0% [59.0, 63.0], the adapted model -1.0 [-2.0, -0.1]. The other "
                    "communities' votes help at k = 100; they hurt at k = 1,000.")
    for p in a["points"][1:]:
        p["over_scratch"] = {**p["over_scratch"], "too_small": True}
    assert adapt_findings({"adapt": a})[-1].endswith("(too small to count). The pairs are too few for any verdict.")
