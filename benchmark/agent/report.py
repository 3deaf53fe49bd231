"""``report.html`` beside an agent evaluation's results.json: the figures and a few story pairs."""

from __future__ import annotations

import html
from pathlib import Path

from rmbench.atomic import write_text

STYLE = ("body{font:15px/1.5 system-ui,sans-serif;max-width:70rem;margin:1rem auto;padding:0 1rem}"
         "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}"
         ".note{background:#fff3cd;padding:.5rem;border-radius:6px}.pair{display:grid;grid-template-columns:1fr 1fr;gap:1rem}.s{white-space:pre-wrap;border:1px solid #ddd;"
         "padding:.5rem;border-radius:6px}.p{background:#f3f4f8;padding:.5rem;border-radius:6px}")


def _fmt(x) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.3f}"
    if isinstance(x, list):
        return "[" + ", ".join(_fmt(v) for v in x) + "]"
    return html.escape(str(x))


def write_report(res: dict, examples: list[dict], path: str | Path) -> None:
    r = res["results"]["writingprompts-agent"]
    t, lc, m = r["splits"]["test"], r["splits"]["test_length_controlled"], r["agent_metrics"]
    kl, sim = m["kl_to_generator"], m.get("similar_length", {})
    note = res.get("config", {}).get("note")
    rows = [
        ("win rate vs generator (judge)", t["accuracy"], t["ci95"], t["n"]),
        ("length-controlled win rate", lc["accuracy"], lc["ci95"], lc["n"]),
        (f"win rate on pairs within a length ratio of {_fmt(sim.get('max_length_ratio'))}", sim.get("accuracy"),
         sim.get("ci95"), sim.get("n")),
        ("mean σ(r_agent − r_generator)", m["mean_preference"], None, t["n"]),
        ("KL(agent ‖ generator) per story / per token (exact per-token KL, ≥ 0)",
         f"{_fmt(kl['per_story'])} / {_fmt(kl['per_token'])}", None, kl["n"]),
        ("KL per story, Monte-Carlo log-ratio (unbiased, can be < 0)", kl.get("monte_carlo_per_story"), None, kl["n"]),
    ]
    for key in ("mean_tokens", "mean_chars", "distinct_1", "distinct_2", "truncated_fraction"):
        rows.append((f"{key}: agent / generator", f"{_fmt(m['agent'][key])} / {_fmt(m['generator'][key])}", None, None))
    body = ["<!doctype html><html lang=en><meta charset=utf-8><title>Agent evaluation</title>",
            f"<style>{STYLE}</style><h1>Agent vs generator</h1>",
            f"<p class=note><b>{html.escape(note)}</b></p>" if note else "",
            f"<p>Agent <code>{_fmt(res['model']['path'])}</code>, judge "
            f"<code>{_fmt(res['model']['judge']['path'])}</code> (trained against "
            f"<code>{_fmt((res['model'].get('trained_against') or {}).get('path'))}</code>).",
            " Synthetic data." if res.get("synthetic_data") else "", "</p>",
            "<table><tr><th>measure</th><th>value</th><th>95% CI</th><th>n</th></tr>"]
    for name, value, ci, n in rows:
        body.append(f"<tr><td>{html.escape(name)}</td><td>{_fmt(value)}</td><td>{_fmt(ci)}</td><td>{_fmt(n)}</td></tr>")
    body.append("</table><p>Win rate: the judge's reward for the agent's story above the generator's on the "
                "same prompt (ties ½); every 95% interval resamples prompts. Length-controlled: the mean of the "
                "win rate where the agent's story is the longer and where it is the shorter (a judge that only "
                "likes length gives 50%).</p>")
    body.append(f"<h2>Sample stories ({len(examples)} per model)</h2>")
    for ex in examples:
        body.append(f"<p class=p>{_fmt(ex['prompt'])}</p><div class=pair>"
                    f"<div><b>agent</b> (reward {_fmt(ex['agent_reward'])})<div class=s>{_fmt(ex['agent'])}</div></div>"
                    f"<div><b>generator</b> (reward {_fmt(ex['generator_reward'])})<div class=s>{_fmt(ex['generator'])}</div></div></div>")
    write_text(path, "\n".join(body) + "\n")  # atomic: a reader never sees half a page
