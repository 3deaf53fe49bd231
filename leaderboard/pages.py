"""HTML for the static site: the ranked table, one page per submission, how-to-submit.

Everything that came from a submission goes through :func:`esc` (names are checked, but
organizations, model ids and configs are free text). Links are only made from URLs that
validation already held to ``http(s)://``; images are only the PNGs validation decoded.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from rmbench import __version__
from rmbench.leaderboard.ranking import Row
from rmbench.leaderboard.render import RANKING_NOTE, columns, fmt
from rmbench.leaderboard.tracks import Track

ASSETS = Path(__file__).resolve().parent / "site_assets"
_TEXT = ' class="text"'


def esc(x: object) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def page(title: str, body: str, depth: int = 0, script: bool = False) -> str:
    """A whole page with the stylesheet (and the sorter) inline: no other file is fetched."""
    up = "../" * depth
    css = (ASSETS / "style.css").read_text()
    js = f"<script>\n{(ASSETS / 'sort.js').read_text()}</script>\n" if script else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} · rmbench leaderboard</title>
<link rel="icon" href="data:,">
<style>
{css}</style>
</head>
<body>
<header><a class="brand" href="{up}index.html">rmbench leaderboard</a>
<a href="{up}index.html">Rankings</a><a href="{up}how-to-submit.html">How to submit</a></header>
<main>
{body}
</main>
{js}</body>
</html>
"""


def data_tag(synthetic: bool, label: str) -> str:
    """A coloured synthetic/real badge, then what the data is."""
    cls = "synthetic" if synthetic else "real"
    return f'<span class="tag {cls}">{"synthetic" if synthetic else "real data"}</span> {esc(label)}'


def _cell(value: object, kind: str, key: str, html_text: str | None = None) -> str:
    raw = "" if value is None else (value if kind == "text" else repr(value))
    cls = ' class="text"' if kind == "text" else ""
    return f'<td{cls} data-v="{esc(raw)}">{html_text if html_text is not None else esc(fmt(value, kind))}</td>'


def ranking_table(track: Track, rows: list[Row]) -> str:
    cols = columns(track)
    head = "".join(f'<th data-key="{esc(c.key)}" data-type="{"text" if c.kind == "text" else "num"}"'
                   f'{_TEXT if c.kind == "text" else ""} title="sort by {esc(c.title)}">{esc(c.title)}</th>'
                   for c in cols)
    body = []
    for r in rows:
        cells = []
        for c in cols:
            v = c.value(r)
            if c.key == "model":
                badge = ' <span class="tag baseline">baseline</span>' if r.kind == "baseline" else ""
                badge += f' <span class="tag {esc(r.badge)}">{esc(r.badge)}</span>'
                cells.append(_cell(v, "text", c.key, f'<a href="s/{esc(r.name)}.html">{esc(r.name)}</a>{badge}'))
            elif c.key == "data":
                cells.append(_cell(v, "text", c.key, data_tag(r.synthetic, r.track)))
            else:
                cells.append(_cell(v, c.kind, c.key))
        cls = ' class="baseline"' if r.kind == "baseline" or r.note else ""
        body.append(f"<tr{cls} data-name=\"{esc(r.name)}\">{''.join(cells)}</tr>")
    return (f'<div class="scroll"><table class="sortable" id="board-{esc(track.name)}">'
            f"<thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(body) + "\n</tbody></table></div>")


def index_page(tracks: dict[str, Track], rows: dict[str, list[Row]]) -> str:
    parts = ["<h1>Reward-model transfer leaderboard</h1>",
             "<p>How well does a reward model trained on some communities' votes predict what "
             "<em>another</em> community prefers? Each track freezes held-out test sets; "
             "click a column header to sort, a model to see its details.</p>",
             f'<p class="note">{esc(RANKING_NOTE)}</p>']
    for name, track_rows in rows.items():
        t = tracks[name]
        parts.append(f'<h2 id="track-{esc(name)}">{esc(name)}</h2>')
        parts.append(f"<p>{data_tag(t.synthetic, t.label)}</p>")
        parts.append(f'<p class="muted">Held out: {esc(", ".join(t.heldout_tasks))} · splits: '
                     f'{esc(", ".join(t.splits))} · {len(track_rows)} entries · benchmark version '
                     f'{esc(t.benchmark_version)}</p>')
        parts.append(ranking_table(t, track_rows) if track_rows else '<p class="muted">No submissions yet.</p>')
    parts.append(f'<p class="note">Built by rmbench {esc(__version__)}.</p>')
    return page("Rankings", "\n".join(parts), script=True)


def _facts(items: list[tuple[str, str]]) -> str:
    return '<dl class="facts">' + "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in items) + "</dl>"


def _metrics_table(results: dict, row: Row) -> str:
    """Held-out splits show the numbers recomputed from the predictions; other tasks' rows are
    the run's own (not part of the ranking, so not recomputed) and say so."""
    baseline_names = sorted({b for tr in results["results"].values() for sp in (tr.get("splits") or {}).values()
                             for b in (sp.get("baselines") or {})})
    head = ("<tr><th class=\"text\">Task</th><th class=\"text\">Role</th><th class=\"text\">Split</th><th>n</th>"
            "<th>Accuracy</th><th>95% CI</th><th>ECE</th>"
            + "".join(f"<th>{esc(b)}</th>" for b in baseline_names) + "<th class=\"text\">Clears best baseline</th></tr>")
    rows = []
    for task, tr in sorted(results["results"].items(), key=lambda kv: (kv[1].get("role") != "heldout", kv[0])):
        for split, sp in sorted((tr.get("splits") or {}).items()):
            card = row.splits.get(f"{task}/{split}")
            role = tr.get("role") if card else f"{tr.get('role')} (as submitted)"
            sp = {**sp, **card} if card else sp
            ci = sp.get("ci95")
            ci_text = f"{100 * ci[0]:.1f}–{100 * ci[1]:.1f}" if isinstance(ci, list) and len(ci) == 2 else "—"
            base = "".join(f"<td>{esc(fmt(((sp.get('baselines') or {}).get(b) or {}).get('accuracy'), 'pct'))}</td>"
                           for b in baseline_names)
            clears = sp.get("clears_best_baseline")
            rows.append(f'<tr><td class="text">{esc(task)}</td><td class="text">{esc(role)}</td>'
                        f'<td class="text">{esc(split)}</td><td>{esc(sp.get("n"))}</td>'
                        f"<td>{esc(fmt(sp.get('accuracy'), 'pct'))}</td><td>{esc(ci_text)}</td>"
                        f"<td>{esc(fmt(sp.get('ece'), 'pct'))}</td>{base}"
                        f'<td class="text">{"—" if clears is None else ("yes" if clears else "no")}</td></tr>')
    return f'<div class="scroll"><table><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table></div>'


def detail_page(sub: dict, row: Row, track: Track) -> str:
    res, model = sub["results"], sub["results"]["model"]
    url = sub.get("url")
    link = f'<a href="{esc(url)}" rel="nofollow noopener">{esc(url)}</a>' if url else "—"
    rank = f"{row.rank} on track {esc(track.name)}" if row.rank is not None else f"not ranked ({esc(row.note)})"
    if row.group is not None:
        rank += f", rank group {row.group}"
        if row.vs_next:
            lo, hi = row.vs_next["ci95"]
            rank += esc(f" ({fmt(row.vs_next['diff'], 'signed')} points over the next entry, 95% CI "
                        f"[{fmt(lo, 'signed')}, {fmt(hi, 'signed')}])")
    facts = [("Rank", rank), ("Numbers", esc(f"{row.badge}: " + ("re-scored by `rmbench leaderboard verify`"
                                                              if row.badge == "verified" else
                                                              "recomputed from the submitted predictions, model not re-run"))),
             ("Organization", esc(sub.get("organization") or "—")), ("Link", link),
             ("Data", data_tag(track.synthetic, track.label)),
             ("Model", esc(model.get("id"))), ("Kind", esc(model.get("kind"))),
             ("Base model", esc(model.get("base_model") or "—")),
             ("Parameters", esc(f"{model.get('parameters'):,}" if isinstance(model.get("parameters"), int) else "—")),
             ("Weights sha256", f"<code>{esc(model.get('weights_sha256') or '—')}</code>"),
             ("Held out", esc(", ".join(res.get("holdout") or []) or "—")),
             ("Trained on", esc(", ".join(res.get("train_tasks") or []) or "—")),
             ("Mean held-out accuracy", esc(fmt(row.mean, "pct"))),
             ("Best baseline", esc(f"{row.best_baseline} ({fmt(row.best_baseline_mean, 'pct')})")),
             ("Margin", esc(fmt(row.margin, "signed"))),
             ("rmbench version", esc(res.get("rmbench_version"))), ("Git commit", esc(res.get("git_commit") or "—")),
             ("Run created", esc(res.get("created_utc"))), ("Submitted", esc(sub.get("submitted_utc"))),
             ("Wall time", esc(f"{res['wall_time_s']:.0f} s" if isinstance(res.get("wall_time_s"), (int, float)) else "—")),
             ("Hardware", esc(json.dumps(res.get("hardware"), sort_keys=True) if res.get("hardware") else "—"))]
    plots = "".join(f'<figure><img alt="{esc(name)}" src="data:image/png;base64,{p["png_base64"]}">'
                    f"<figcaption>{esc(name)}</figcaption></figure>" for name, p in sorted(sub["plots"].items()))
    body = [f"<h1>{esc(sub['name'])}</h1>", _facts(facts), "<h2>Metrics</h2>", _metrics_table(res, row),
            "<h2>Plots</h2>", f'<div class="plots">{plots}</div>' if plots else '<p class="muted">No plots submitted.</p>',
            "<h2>Configuration</h2>",
            f"<pre>{esc(json.dumps(res.get('config') or {}, indent=2, sort_keys=True))}</pre>"]
    return page(sub["name"], "\n".join(body), depth=1)


def contributing_page(markdown_html: str) -> str:
    return page("How to submit", f'<div class="md">{markdown_html}</div>')
