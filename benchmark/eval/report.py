"""The human-readable side of a run: report.md and the rich summary table on the terminal."""

from __future__ import annotations

from rmbench.atomic import write_text as write_text_atomic


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}"


def _ci(ci) -> str:
    return "-" if not ci or ci[0] is None else f"[{_pct(ci[0])}, {_pct(ci[1])}]"


def rows(doc: dict) -> list[dict]:
    """One row per evaluated split: model, interval, best eligible baseline, verdict."""
    out = []
    for task, r in doc["results"].items():
        for split, card in r["splits"].items():
            best = card.get("best_baseline")
            b = card["baselines"].get(best, {}) if best else {}
            out.append({"task": task, "role": r["role"], "split": split, "n": card["n"],
                        "accuracy": card["accuracy"], "ci95": card["ci95"], "best": best,
                        "best_accuracy": b.get("accuracy"), "clears": card["clears_best_baseline"],
                        "ece": card.get("ece"),
                        "baselines": {k: v["accuracy"] for k, v in card["baselines"].items()},
                        "by_construction": [k for k, v in card["baselines"].items() if v.get("by_construction")]})
    return out


def _verdict(clears) -> str:
    return {True: "yes", False: "no", None: "-"}[clears]


def summary_table(doc: dict, width: int = 120):
    """The terminal summary; the per-baseline columns only when the terminal is wide enough."""
    from rich.table import Table

    synthetic = " [yellow](SYNTHETIC demo data)[/]" if doc.get("synthetic_data") else ""
    t = Table(title=f"{doc['model']['id']}: held out {', '.join(doc['holdout']) or '-'}{synthetic}")
    wide = width >= 110
    cols = ["task / split", "n", "acc %", "95% CI", "best baseline", "clears?"]
    cols += ["random", "longer", "shorter", "later*"] if wide else []
    for col in cols:
        t.add_column(col, justify="left" if col in ("task / split", "best baseline") else "right",
                     no_wrap=col in ("task / split", "95% CI"))
    for r in rows(doc):
        b = r["baselines"]
        role = "" if r["role"] == "heldout" else " (in)"
        cells = [f"{r['task']}/{r['split']}{role}", str(r["n"]), _pct(r["accuracy"]), _ci(r["ci95"]),
                 f"{r['best']} {_pct(r['best_accuracy'])}" if r["best"] else "-", _verdict(r["clears"])]
        if wide:
            cells += [_pct(b.get("random")), _pct(b.get("longer")), _pct(b.get("shorter")), _pct(b.get("later"))]
        t.add_row(*cells)
    t.caption = ("clears? = 95% CI lower bound above the best eligible baseline's accuracy. (in) = in-domain. "
                 "Later/earlier wins are 100%/0% by construction under later-but-higher pairing and never "
                 "count as the best baseline." + ("" if wide else " All baselines: report.md."))
    return t


def write_report(doc: dict, path) -> None:
    lines = [f"# rmbench run: {doc['model']['id']}", ""]
    if doc.get("synthetic_data"):
        lines += ["> **Synthetic data.** These numbers come from the generated demo corpus, "
                  "not from people's votes. They show the harness works, not how a model transfers.", ""]
    for flag in doc.get("flags", []):
        lines += [f"> **Flag: {flag}.** The response-delay input was on under a pairing rule that fixes "
                  "the time order, so the delay gives the label away; these accuracies are not comparable.", ""]
    s = doc["summary"]
    lines += [f"- held out: {', '.join(doc['holdout']) or '-'}; trained on: {', '.join(doc['train_tasks']) or '-'}",
              f"- held-out accuracy: test {_pct(s.get('heldout_mean_accuracy'))}%, "
              f"test_hard {_pct(s.get('heldout_mean_accuracy_hard'))}%; best eligible baseline on test "
              f"{_pct(s.get('best_baseline_mean'))}%",
              f"- clears the best baseline (CI lower bound above its accuracy): "
              f"test {_verdict((s.get('clears_best_baseline') or {}).get('test'))}, "
              f"test_hard {_verdict((s.get('clears_best_baseline') or {}).get('test_hard'))}",
              f"- model: {doc['model']['kind']}, {doc['model'].get('parameters') or 0:,} parameters; "
              f"data fingerprint `{(doc['data'].get('manifest_fingerprint') or '-')[:16]}`; "
              f"wall time {doc.get('wall_time_s')} s on {doc['hardware']['device']}", "",
              "| task | role | split | n | accuracy % | 95% CI | best baseline | clears? | random | longer | shorter | earlier* | later* | ECE |",
              "|---|---|---|---:|---:|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows(doc):
        b = r["baselines"]
        best = f"{r['best']} {_pct(r['best_accuracy'])}" if r["best"] else "-"
        ece = "-" if r["ece"] is None else f"{r['ece']:.3f}"
        lines.append(f"| {r['task']} | {r['role']} | {r['split']} | {r['n']} | {_pct(r['accuracy'])} | {_ci(r['ci95'])} "
                     f"| {best} | {_verdict(r['clears'])} | {_pct(b.get('random'))} | {_pct(b.get('longer'))} "
                     f"| {_pct(b.get('shorter'))} | {_pct(b.get('earlier'))} | {_pct(b.get('later'))} | {ece} |")
    lines += ["", "\\* by construction under later-but-higher pairing (the chosen response is always the later "
              "one); reported, never the best baseline.", ""]
    for plot in doc.get("plots", []):
        lines.append(f"![{plot}]({plot})")
    write_text_atomic(path, "\n".join(lines) + "\n")
