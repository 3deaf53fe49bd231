"""The human-readable side of a run: report.md (and report.html, the same text as a page) and the rich
summary table on the terminal.

Both read only results.json. The report says in words what the numbers mean: which splits
are the headline (every post of a held-out task), whether the model clears the best
eligible baseline on the paired difference, whether it is at chance, whether it is
indistinguishable from longer-wins (it learned length), what the cue-conflict cell and the
noise ceiling say, which splits were too small to count, and how much input was cut.
"""

from __future__ import annotations

from rmbench.htmlpage import write_markdown_and_page
from rmbench.eval.stacked import verdict_text

SPLIT_ORDER = ("heldout_all", "heldout_all_hard", "heldout_unseen", "heldout_unseen_hard", "test", "test_hard")
# Above every report of demo numbers (a run's, a sweep's): what they can and cannot show.
SYNTHETIC_NOTE = ("> **Synthetic data.** These numbers come from the generated demo corpus, not from people's "
                  "votes. They show the harness works, not how a model transfers.")


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}"


def _ci(ci) -> str:
    return "-" if not ci or ci[0] is None else f"[{_pct(ci[0])}, {_pct(ci[1])}]"


def _pp(x) -> str:
    """A difference in points, signed."""
    return "-" if x is None else f"{100 * x:+.1f}"


def _dci(ci) -> str:
    return "-" if not ci or ci[0] is None else f"[{_pp(ci[0])}, {_pp(ci[1])}]"


def rows(doc: dict) -> list[dict]:
    """One row per evaluated split (held-out headline splits first): model, interval,
    best eligible baseline, the paired difference to it, verdict, controls."""
    out = []
    for task, r in doc["results"].items():
        order = sorted(r["splits"], key=lambda s: SPLIT_ORDER.index(s) if s in SPLIT_ORDER else 99)
        for split in order:
            card = r["splits"][split]
            best = card.get("best_baseline")
            b = card["baselines"].get(best, {}) if best else {}
            trunc = card.get("truncated") or {}
            out.append({"task": task, "role": r["role"], "split": split, "n": card["n"], "posts": card.get("posts"),
                        "top_share": card.get("largest_post_share"), "sample": (card.get("sample") or {}).get("label"),
                        "accuracy": card["accuracy"], "ci95": card["ci95"], "best": best,
                        "best_accuracy": b.get("accuracy"), "diff": b.get("diff"), "diff_ci95": b.get("diff_ci95"),
                        "clears": card["clears_best_baseline"], "too_small": bool(card.get("too_small")),
                        "at_chance": card.get("at_chance"), "ece": card.get("ece"),
                        "confidence": card.get("mean_confidence"),
                        "lc": (card.get("length_controlled") or {}), "cue": (card.get("cue_conflict") or {}),
                        "ceiling": (card.get("noise_ceiling") or {}),
                        "truncated_share": trunc.get("any_share", trunc.get("response_share")),
                        "stacked": card.get("stacked") or {},
                        "baselines": card["baselines"],
                        "by_construction": [k for k, v in card["baselines"].items() if v.get("by_construction")]})
    return out


def _verdict(r: dict) -> str:
    if r["too_small"]:
        return "too small"
    return {True: "yes", False: "no", None: "-"}[r["clears"]]


def _adds(r: dict) -> str | None:
    """The stacked verdict's cell: yes/no, too small, or empty where there is none (in-domain)."""
    s = r["stacked"]
    if not s:
        return None
    if not s.get("available"):  # evaluate --model baseline:confounds is never stacked on itself
        return "n/a (itself)" if r["baselines"].get("confounds", {}).get("itself") else "not fitted"
    return "too small" if r["too_small"] else {True: "yes", False: "no", None: "-"}[s.get("adds_information")]


def _base_cell(entry: dict | None) -> str:
    if not entry:
        return "-"
    if entry.get("applicable") is False:
        return "n/a"
    return _pct(entry.get("accuracy")) + (" (exp.)" if entry.get("expectation") else "")


CAPTION = ("heldout_all / heldout_all_hard = every post of the held-out task (the headline; a split cut by --limit "
           "says which sample). top post = the largest post's share of the split's pairs. clears? = the "
           "95% interval of the paired difference to the best eligible baseline lies above 0. role in_domain = "
           "trained on. too small = under eval.min_report_pairs/posts: shown, never counted. chance? = the "
           "interval of the difference to 50% includes 0. adds info? = adds information beyond surface features: "
           "the stacked predictor (baseline:confounds + the model's margin) beats confounds alone (its paired Δ "
           "interval, Δ stacked, above 0) and the surface stack (confounds + the length difference). len-ctrl n / cue n = the pairs each control counts (len-ctrl: both "
           "length groups); a control cell says too small under the split's rule (cue-conflict) or when either "
           "length group holds under half eval.min_report_pairs (len-ctrl). ceiling and ECE count the split's n. "
           "Accuracies in %, differences in points.")
# only under a card that has such a split (an adaptation curve's cell): elsewhere it would be noise
UNSEEN_CAPTION = (" heldout_unseen / heldout_unseen_hard = every post no cell of an adaptation curve drew (sweep "
                  "--adapt; the curve's points are paired on them).")


def summary_sheet(doc: dict, wide: bool = True):
    """The run's summary as a ``rmbench.tables.Sheet``: one row per split, held-out first.
    ``wide=False`` (a narrow terminal) leaves the controls to report.md."""
    from rmbench.tables import Column, Sheet

    synthetic = " (SYNTHETIC demo data)" if doc.get("synthetic_data") else ""
    cols = [Column("task"), Column("split"), Column("role"), Column("n", kind="int"), Column("posts", kind="int"),
            Column("largest_post_share", "top post %", "pct"),
            Column("accuracy", "acc %", "pct"), Column("ci95", "95% CI", "pct_ci"),
            Column("best_baseline", "best baseline"), Column("best_baseline_accuracy", "its acc %", "pct"),
            Column("diff", "Δ best", "pp"), Column("diff_ci95", "Δ 95% CI", "pp_ci"),
            Column("clears", "clears?"), Column("at_chance", "chance?", "bool", right=False),
            Column("stacked_diff", "Δ stacked", "pp"), Column("stacked_diff_ci95", "Δ stacked 95% CI", "pp_ci"),
            Column("adds_information", "adds info?")]
    if wide:
        cols += [Column("length_controlled", "len-ctrl %", "pct"), Column("length_controlled_n", "len-ctrl n", "int"),
                 Column("cue_conflict", "cue-conflict %", "pct"), Column("cue_conflict_n", "cue n", "int"),
                 Column("noise_ceiling", "ceiling %", "pct"), Column("ece", "ECE", "float"),
                 Column("mean_confidence", "|p-.5|", "float"), Column("truncated", "cut %", "pct")]
    sheet = Sheet(cols, title=f"{doc['model']['id']}: held out {', '.join(doc['holdout']) or '-'}{synthetic}",
                  caption=CAPTION + ("" if wide else " Controls and all baselines: report.md."))
    if any(r["split"].startswith("heldout_unseen") for r in rows(doc)):
        sheet.caption += UNSEEN_CAPTION
    for r in rows(doc):
        best = r["baselines"].get(r["best"]) or {} if r["best"] else {}
        name = r["best"] and r["best"] + (" (exp.)" if best.get("expectation") else "")
        values = [r["task"], _split_cell(r), r["role"], r["n"], r["posts"], r["top_share"], r["accuracy"], r["ci95"], name,
                  None if best.get("applicable") is False else best.get("accuracy"), r["diff"], r["diff_ci95"],
                  _verdict(r), r["at_chance"], r["stacked"].get("diff"), r["stacked"].get("diff_ci95"), _adds(r)]
        if wide:
            values += [control(r["lc"]), control_n(r["lc"]), control(r["cue"]), control_n(r["cue"]),
                       r["ceiling"].get("value"), r["ece"],
                       r["confidence"], r["truncated_share"]]
        sheet.add(*values, style="dim" if r["too_small"] else None)
    return sheet


def control(cell: dict):
    """A control cell's figure, or "too small" where it counts too few pairs to mean anything."""
    return "too small" if cell.get("too_small") and cell.get("accuracy") is not None else cell.get("accuracy")


def control_n(cell: dict) -> int | None:
    """The pairs a control cell counts (the length control: both length groups)."""
    if "n_longer" in cell:
        return cell["n_longer"] + cell.get("n_shorter", 0)
    return cell.get("n")


def _split_cell(r: dict) -> str:
    """The split's name, and what was scored when --limit drew a sample of it."""
    return f"{r['split']} ({r['sample']})" if r["sample"] else r["split"]


def _headline_scope(doc: dict, split: str) -> str:
    """What a headline split holds: every post, or the samples --limit drew."""
    samples = [f"{t}: {c['sample']['label']}" for t, r in doc["results"].items()
               for s, c in r["splits"].items() if s == split and r["role"] == "heldout" and c.get("sample")]
    return "; ".join(samples) if samples else "every post of the held-out task"


def counted_heldout(doc: dict) -> list[dict]:
    """The held-out rows that count (not too small): the headline splits where they were scored."""
    held = [r for r in rows(doc) if r["role"] == "heldout" and not r["too_small"]]
    headline = [r for r in held if r["split"] in SPLIT_ORDER[:2]]
    return headline or held


def _model_line(doc: dict) -> str:
    m = doc["model"]
    size = f"{m['parameters']:,} parameters" if isinstance(m.get("parameters"), int) else "parameters not known to rmbench"
    line = (f"- model: {m['kind']}" + (f" ({m['model_kind']})" if m.get("model_kind") else "") + f", {size}; "
            f"data fingerprint `{(doc['data'].get('manifest_fingerprint') or '-')[:16]}`; "
            f"wall time {doc.get('wall_time_s')} s on {doc['hardware']['device']}")
    f = m.get("rewards_file")
    if f:  # rewards scored elsewhere (rmbench.eval.external): which file, and what it lacked
        dropped = ", ".join(f"{k} {v:,}" for k, v in f["dropped"].items()) or "none"
        line += (f"\n- rewards scored outside rmbench: `{f['path']}` (sha256 `{f['sha256'][:16]}`), {f['pairs']:,} pairs "
                 f"from {f['lines']:,} lines; lines dropped: {dropped}; splits it has no pair of: "
                 f"{', '.join(f['splits_left_out']) or 'none'}")
    return line


def _lines_table(doc: dict) -> list[str]:
    lines = ["| task | role | split | n | posts | top post % | accuracy % | 95% CI | best baseline | Δ best (points) | clears? "
             "| length-controlled % (n) | cue-conflict % (n) | noise ceiling % | ECE | mean abs(p-0.5) | inputs cut % |",
             "|---|---|---|---:|---:|---:|---:|---|---|---|---|---|---|---|---:|---:|---:|"]
    for r in rows(doc):
        best = f"{r['best']} {_base_cell(r['baselines'].get(r['best']))}" if r["best"] else "-"
        ece = "-" if r["ece"] is None else f"{r['ece']:.3f}"
        conf = "-" if r["confidence"] is None else f"{r['confidence']:.3f}"
        lc, cue = (_control_md(r[k], with_ci=k == "lc") for k in ("lc", "cue"))
        lines.append(f"| {r['task']} | {r['role']} | {_split_cell(r)} | {r['n']} | {r['posts'] or '-'} "
                     f"| {_pct(r['top_share'])} | {_pct(r['accuracy'])} "
                     f"| {_ci(r['ci95'])} | {best} | {_pp(r['diff'])} {_dci(r['diff_ci95'])} | {_verdict(r)} "
                     f"| {lc} | {cue} "
                     f"| {_pct(r['ceiling'].get('value'))} | {ece} | {conf} | {_pct(r['truncated_share'])} |")
    names = ["random", "longer", "shorter", "earlier", "later", "confounds"]
    lines += ["", "Every baseline (accuracy %, and the model's paired difference to it in points):", "",
              "| task | split | " + " | ".join(n + ("*" if n in constructed(doc) else "") for n in names) + " |",
              "|---|---|" + "---|" * len(names)]
    for r in rows(doc):
        cells = []
        for n in names:
            e = r["baselines"].get(n)
            cells.append("-" if not e else f"{_base_cell(e)} ({_pp(e.get('diff'))})" if e.get("diff") is not None
                         else _base_cell(e))
        lines.append(f"| {r['task']} | {_split_cell(r)} | " + " | ".join(cells) + " |")
    return lines


def _control_md(cell: dict, with_ci: bool) -> str:
    """report.md's control cell: figure (and interval) with its n, or "too small (n)"."""
    n = control_n(cell) or 0
    if control(cell) == "too small":
        return f"too small ({n})"
    return f"{_pct(cell.get('accuracy'))}{' ' + _ci(cell.get('ci95')) if with_ci else ''} ({n})"


def constructed(doc: dict) -> set[str]:
    """Baselines some row of this run scores by construction (the pairing rule decides them)."""
    return {name for r in rows(doc) for name in r["by_construction"]}


def stacked_line(doc: dict) -> str:
    """The stacked predictor's fit in words: where it was fitted and the margin's weight."""
    s = doc.get("stacked") or {}
    limited = f" ({s['limited']['label']})" if isinstance(s.get("limited"), dict) else ""  # --limit's quick fit
    if not s.get("available"):
        return f"stacked predictor (confounds + the model's margin) not fitted: {s.get('reason', 'not computed')}{limited}"
    lo, hi = s["margin_coef_ci95"]
    sf = s.get("surface")
    surface = "" if not isinstance(sf, dict) else (
        f"; surface stack: logit = {sf['coef']['confounds_logit']:+.3f} x confounds logit "
        f"{sf['coef']['length']:+.3f} x length difference / {sf['length_scale']:.4g} characters (its RMS), on the same pairs")
    return (f"stacked predictor: logit = {s['coef']['confounds_logit']:+.3f} x confounds logit "
            f"{s['coef']['margin']:+.3f} x margin / {s['margin_scale']:.4g} (the margin's RMS), fitted on "
            f"{s['fit_pairs']:,} validation pairs from {s['fit_posts']:,} posts of {', '.join(s['fit_tasks'])} (both "
            f"orders, no intercept); margin coefficient {s['margin_coef']:+.3f} [{lo:+.3f}, {hi:+.3f}] ({s['interval']})"
            + surface + limited)


def confounds_note(doc: dict) -> str | None:
    """Why baseline:confounds is missing from every verdict, when it is (None when fitted)."""
    conf = doc.get("confounds") or {}
    if not conf or conf.get("available"):
        return None
    return f"baseline:confounds {conf.get('reason')}: it is shown as n/a and enters no verdict."


def _provenance_lines(doc: dict) -> list[str]:
    lines = []
    conf = doc.get("confounds") or {}
    if conf.get("available"):
        coefs = ", ".join(f"{k} {v:+.2f}" for k, v in sorted(conf["coefficients"].items(), key=lambda kv: -abs(kv[1])))
        lines += [f"- baseline:confounds ({conf.get('library')}): fitted on {conf['train_pairs']:,} training pairs of "
                  f"{', '.join(conf['fit_tasks'])} (both orders); training accuracy {_pct(conf.get('train_accuracy'))}%; "
                  f"standardized coefficients: {coefs}"]
    elif conf:
        lines.append(f"- {confounds_note(doc)}")
    lines.append(f"- {stacked_line(doc)}")
    for task, c in (doc.get("contamination") or {}).items():
        per_split = ", ".join(f"{sp} {n}" for sp, n in c["pairs"].items() if n)
        reasons = ", ".join(f"{k} {v}" for k, v in c["by_reason"].items()) or "none"
        against = c["checked_against"] + [f"{s['data']} (what the model saw)" for s in c.get("seen", ())]
        lines.append(f"- contamination, {task} against {', '.join(against) or 'nothing'}: "
                     + (f"pairs {'kept (--keep-contaminated)' if c['kept'] else 'dropped'}: {per_split} "
                        f"(heldout_all by reason: {reasons})" if per_split else "no shared post or response"))
    s = doc["summary"]
    if s.get("in_domain_minus_heldout") is not None:
        lines.append(f"- in-domain − held-out on test: {_pp(s['in_domain_minus_heldout'])} points (held-in tasks' "
                     f"mean {_pct(s['in_domain_mean_accuracy'])}%, held-out {_pct(s['heldout_mean_accuracy'])}%; different "
                     "tasks -- the per-task gap is `rmbench sweep`'s transfer matrix)")
    if s.get("excluded_too_small"):
        lines.append(f"- too small to count (shown, left out of every mean and verdict): {', '.join(s['excluded_too_small'])}")
    split_by = (doc.get("data") or {}).get("split_by") or {}
    lines += {"time": [f"- split by time: posts before {split_by.get('date')} train/validation, from it on test"],
              "source": ["- split by source: each post in the split its source publishes (SHP's own), others by hash"]
              }.get(split_by.get("rule"), [])
    return lines + _machine_line(doc)


def _machine_line(doc: dict) -> list[str]:
    """Where the run ran, as far as a bit-for-bit rerun depends on it (results.json's hardware)."""
    hw = doc.get("hardware") or {}
    if "torch_threads" not in hw:  # a results.json from before these were recorded
        return []
    trained = ((doc.get("model") or {}).get("training") or {}).get("mixed_precision")
    where = hw.get("gpu") or f"{hw.get('cpu') or 'an unnamed CPU'} ({'with' if hw.get('cpu_bf16') else 'no'} bf16)"
    return [f"- machine: {where}, torch {hw.get('torch')}, {hw['torch_threads']} threads"
            + (f", training precision {trained}" if trained else "")
            + ": a rerun of the same config and data reproduces it bit for bit only where these match too (docs/harness.md)"]


def _test_mean(doc: dict, split: str, key: str) -> str:
    """The held-out mean of test or test_hard, or why there is none: "-%" read as a missing
    number where the split was scored and only too small to count (the demo's 34-pair test)."""
    value = doc["summary"].get(key)
    if value is not None:
        return f"{_pct(value)}%"
    small = [r for r in rows(doc) if r["role"] == "heldout" and r["split"] == split and r["too_small"]]
    if not small:
        return "not scored"
    return "too small to count (" + ", ".join(f"{r['n']:,} pairs from {r['posts'] or 0:,} posts" for r in small) + ")"


def write_report(doc: dict, path) -> None:
    lines = [f"# rmbench run: {doc['model']['id']}", ""]
    if doc.get("synthetic_data"):
        lines += [SYNTHETIC_NOTE, ""]
    for flag in doc.get("flags", []):
        lines += [f"> **Flag: {flag}.** The response-delay input was on under a pairing rule that fixes "
                  "the time order, so the delay gives the label away; these accuracies are not comparable.", ""]
    s = doc["summary"]
    lines += [f"- held out: {', '.join(doc['holdout']) or '-'}; trained on: {', '.join(doc['train_tasks']) or '-'}"]
    for split, h in (s.get("headline") or {}).items():
        lines.append(f"- **{split}** ({_headline_scope(doc, split)}): mean accuracy {_pct(h['mean_accuracy'])}%, "
                     f"best eligible baseline {_pct(h['best_baseline_mean'])}%, clears it: "
                     f"{ {True: 'yes', False: 'no', None: '-'}[h['clears_best_baseline']] }; "
                     f"{verdict_text(h.get('adds_information'))}")
    lines += [f"- test / test_hard (comparable with in-domain numbers): {_test_mean(doc, 'test', 'heldout_mean_accuracy')}"
              f" / {_test_mean(doc, 'test_hard', 'heldout_mean_accuracy_hard')}",
              _model_line(doc), ""]
    from rmbench.eval.report_findings import findings

    found = findings(doc)
    if found:
        lines += [f"- {f}" for f in found] + [""]
    lines += _lines_table(doc)
    # The footnote's first sentence only where a pairing rule fixed the time order: human
    # feedback (and SHP-style rows without timestamps) has no such baseline to explain.
    star = ("\\* by construction under later-but-higher pairing (the chosen response is always the later "
            "one); reported, never the best baseline. ") if constructed(doc) else ""
    lines += ["", star + "random is its expectation (exp.), 50%. n/a: the pairs lack "
              "timestamps. Intervals: posts resampled with all their pairs; Δ is paired (same resamples). "
              "Length-controlled: the accuracy predicted at equal lengths. Cue-conflict: pairs whose chosen "
              "response is the shorter by the task's hard ratio (longer-wins scores 0% there). Noise ceiling: "
              "how often the vote order survives a re-draw of the votes (docs/harness.md)."]
    from rmbench.eval.report_margin import curve_lines, cut_lines

    lines += curve_lines(doc) + cut_lines(doc) + [""] + _provenance_lines(doc) + [""]
    for plot in doc.get("plots", []):
        lines.append(f"![{plot}]({plot})")
    text = "\n".join(lines) + "\n"
    # report.html beside it: the same text as one self-contained page, the plots inlined
    write_markdown_and_page(path, text, f"rmbench run: {doc['model']['id']}")
