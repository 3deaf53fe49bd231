"""One submission's page: what it is ranked on, every split's numbers, its plots, the run's
hardware and configuration as tables.

Nothing from the submitter's machine reaches the page: a value that names a local file or
folder (an absolute path, ``~``, ``./``, a ``.rmbench-cache`` folder, a Windows drive) is
shown as "local path (not shown)". A run's config records where its data and outputs were
(``data.source``, ``out``), which says nothing to a reader and exposes the submitter's home.
"""

from __future__ import annotations

import re

from rmbench.eval.results import flat_items
from rmbench.leaderboard.pages import data_tag, esc
from rmbench.leaderboard.ranking import Row
from rmbench.leaderboard.render import fmt
from rmbench.leaderboard.tracks import Track

LOCAL = "local path (not shown)"
_LOCAL_RE = re.compile(r"^(/|~|\.{1,2}/|\.rmbench-cache|[A-Za-z]:[\\/]|file:)|\\")


def is_local_path(value: object) -> bool:
    """True for a string that names something on the submitter's machine. A hub id
    (``owner/name``) has one slash; a path of more parts is local unless it is a URL."""
    if not isinstance(value, str) or not value:
        return False
    if value.startswith(("http://", "https://", "hf:")):
        return False
    return bool(_LOCAL_RE.search(value)) or value.count("/") >= 2 or "rmbench-cache" in value


def public(value: object) -> str:
    return LOCAL if is_local_path(value) else ("—" if value in (None, "") else str(value))


def _facts(items: list[tuple[str, str]]) -> str:
    return '<dl class="facts">' + "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in items) + "</dl>"


def _ci_text(ci, kind: str = "pct") -> str:
    """An interval as "[lo, hi]" (``kind``: pct for accuracies, signed for differences)."""
    return f"[{fmt(ci[0], kind)}, {fmt(ci[1], kind)}]" if isinstance(ci, list) and len(ci) == 2 else "—"


def _ece(value) -> str:
    """ECE as a fraction, 0 to 1, as the harness prints it (not a percentage)."""
    return "—" if value is None else f"{value:.3f}"


def metrics_table(results: dict, row: Row) -> str:
    """Held-out splits show the numbers recomputed from the predictions; other tasks' rows are
    the run's own (not part of the ranking, so not recomputed) and say so."""
    baseline_names = sorted({b for tr in results["results"].values() for sp in (tr.get("splits") or {}).values()
                             for b in (sp.get("baselines") or {})})
    head = ("<tr><th class=\"text\">Task</th><th class=\"text\">Role</th><th class=\"text\">Split</th><th>n</th>"
            "<th>Accuracy %</th><th>95% CI</th><th title=\"expected calibration error, 0 to 1\">ECE (0–1)</th>"
            + "".join(f"<th>{esc(b)} %</th>" for b in baseline_names) + "<th class=\"text\">Clears best baseline</th></tr>")
    rows = []
    for task, tr in sorted(results["results"].items(), key=lambda kv: (kv[1].get("role") != "heldout", kv[0])):
        for split, sp in sorted((tr.get("splits") or {}).items()):
            card = row.splits.get(f"{task}/{split}")
            role = tr.get("role") if card else f"{tr.get('role')} (as submitted)"
            sp = {**sp, **card} if card else sp
            base = "".join(f"<td>{esc(fmt(((sp.get('baselines') or {}).get(b) or {}).get('accuracy'), 'pct'))}</td>"
                           for b in baseline_names)
            clears = sp.get("clears_best_baseline")
            rows.append(f'<tr><td class="text">{esc(task)}</td><td class="text wrap">{esc(role)}</td>'
                        f'<td class="text">{esc(split)}</td><td>{esc(sp.get("n"))}</td>'
                        f"<td>{esc(fmt(sp.get('accuracy'), 'pct'))}</td><td>{esc(_ci_text(sp.get('ci95')))}</td>"
                        f"<td>{esc(_ece(sp.get('ece')))}</td>{base}"
                        f'<td class="text">{"—" if clears is None else ("yes" if clears else "no")}</td></tr>')
    return f'<div class="scroll"><table><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table></div>'


def margin_table(row: Row) -> str:
    """Accuracy by vote margin on each held-out split, recomputed from the predictions
    (rmbench.eval.controls.score_ratio_curve); empty when no split has score ratios."""
    body = []
    for key, card in sorted(row.splits.items()):
        for b in card.get("score_ratio_curve") or []:
            base = b.get("baselines") or {}
            body.append(f'<tr><td class="text">{esc(key)}</td><td class="text">{esc(b["bucket"])}</td>'
                        f'<td>{esc(b["n"])} ({esc(b["posts"])})</td><td>{esc(fmt(b["accuracy"], "pct"))}</td>'
                        f"<td>{esc(_ci_text(b.get('ci95')))}</td><td>{esc(fmt(base.get('longer'), 'pct'))}</td>"
                        f"<td>{esc(fmt(base.get('confounds'), 'pct'))}</td></tr>")
    if not body:
        return ""
    head = ('<tr><th class="text">Task/split</th><th class="text">Score ratio</th><th>n (posts)</th><th>Accuracy %</th>'
            "<th>95% CI</th><th>longer %</th><th>confounds %</th></tr>")
    return ("<h2>Accuracy by vote margin</h2><p class=\"note\">The held-out pairs by the chosen response's score over "
            "the other's, recomputed from the predictions: a wide margin is an easier pair, and a model that only "
            "tracks length rises with it as longer-wins does.</p>"
            f'<div class="scroll"><table><thead>{head}</thead><tbody>{"".join(body)}</tbody></table></div>')


def _cell(value, n=None) -> str:
    return fmt(value, "pct") + (f" (n={n:,})" if isinstance(n, int) else "")


def _cut_part(part: dict | None) -> list[str]:
    """A by-response-cut part as two cells: its accuracy (n), and its difference to confounds [95% CI]."""
    if not part or part.get("accuracy") is None:
        return ["—", "—"]
    diff = part.get("diff_confounds")
    return [_cell(part["accuracy"], part["n"]),
            "—" if diff is None else f"{fmt(diff, 'signed')} {_ci_text(part.get('diff_confounds_ci95'), 'signed')}"]


def _too_small_or(cell: dict, text: str) -> str:
    return "too small" + (f" (n={cell['n']:,})" if "n" in cell else "") if cell.get("too_small") else text


def controls_table(row: Row) -> str:
    """What the plain accuracy hides, per held-out split, recomputed from the predictions and
    the track's frozen lengths, scores and (where submitted) the scorer's cut flags
    (rmbench.eval.controls); empty for a track frozen without them."""
    body = []
    for key, card in sorted(row.splits.items()):
        lc, cue, ceil = card.get("length_controlled"), card.get("cue_conflict") or {}, card.get("noise_ceiling") or {}
        if not lc:
            continue
        cut = card.get("by_response_cut") or {}
        cells = [_too_small_or(lc, f"{fmt(lc.get('accuracy'), 'pct')} {_ci_text(lc.get('ci95'))} "
                                   f"({fmt(lc.get('chosen_longer'), 'pct')} / {fmt(lc.get('chosen_shorter'), 'pct')})"),
                 _too_small_or(cue, _cell(cue.get("accuracy"), cue.get("n"))), _cell(ceil.get("value")),
                 *_cut_part(cut.get("whole")), *_cut_part(cut.get("cut"))]
        body.append(f'<tr><td class="text">{esc(key)}</td>' + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>")
    if not body:
        return ""
    head = ('<tr><th class="text">Task/split</th><th>Length-controlled % [95% CI] (chosen longer / shorter)</th>'
            "<th>Cue-conflict %</th><th>Noise ceiling %</th><th>Read whole %</th><th>Δ confounds</th>"
            "<th>Response cut %</th><th>Δ confounds</th></tr>")
    return ("<h2>Controls</h2><p class=\"note\">Length-controlled: the mean of the accuracy where the chosen response "
            "is the longer and where it is the shorter (longer-wins scores 50%). Cue-conflict: the pairs whose chosen "
            "response is shorter by at least the task's hard ratio (longer-wins scores 0%). Noise ceiling: how often "
            "the vote order would survive a re-vote. Read whole / response cut: the pairs where the model read both "
            "responses within its token budget, and the rest, each with its difference to baseline:confounds in points "
            "[95% CI] (from the scorer's own cut flags; '—' where none were submitted). All recomputed from the "
            "predictions.</p>"
            f'<div class="scroll"><table><thead>{head}</thead><tbody>{"".join(body)}</tbody></table></div>')


def _value_text(value) -> str:
    if isinstance(value, list):
        return ", ".join(public(v) for v in value) or "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return public(value)


def key_value_table(doc: dict | None, caption: str) -> str:
    """A nested dict as a two-column table (``section.key``, value), local paths hidden."""
    items = flat_items(doc or {})
    if not items:
        return '<p class="muted">Not recorded.</p>'
    body = "".join(f'<tr><td class="text"><code>{esc(k)}</code></td><td class="text wrap">{esc(_value_text(v))}</td></tr>'
                   for k, v in items)
    return (f'<table class="kv"><caption>{esc(caption)}</caption><thead><tr><th class="text">setting</th>'
            f'<th class="text">value</th></tr></thead><tbody>{body}</tbody></table>')


def config_tables(config: dict | None) -> str:
    """The run's config as one table per section (data, model, train, eval; the rest as
    "run"), side by side where the page is wide enough."""
    config = config or {}
    sections = {k: v for k, v in config.items() if isinstance(v, dict)}
    rest = {k: v for k, v in config.items() if not isinstance(v, dict)}
    tables = [key_value_table(v, k) for k, v in sections.items()] + ([key_value_table(rest, "run")] if rest else [])
    return f'<div class="kv-grid">{"".join(tables)}</div>' if tables else '<p class="muted">Not recorded.</p>'


def _rank_text(row: Row, track: Track) -> str:
    rank = f"{row.rank} on track {esc(track.name)}" if row.rank is not None else f"not ranked ({esc(row.note)})"
    if row.group is not None:
        rank += f", rank group {row.group}"
        if row.vs_next:
            rank += esc(f" ({fmt(row.vs_next['diff'], 'signed')} points over the next entry, 95% CI "
                        f"{_ci_text(list(row.vs_next['ci95']), 'signed')})")
    return rank


def detail_body(sub: dict, row: Row, track: Track) -> str:
    res, model = sub["results"], sub["results"]["model"]
    url = sub.get("url")
    link = f'<a href="{esc(url)}" rel="nofollow noopener">{esc(url)}</a>' if url else "—"
    first = track.splits[0]
    second = f" (ties: mean {track.splits[1]} {fmt(row.mean_hard, 'pct')}%)" if len(track.splits) > 1 else ""
    facts = [("Rank", _rank_text(row, track)),
             ("Score (ranked on)", esc(f"{fmt(row.mean, 'pct')}% {_ci_text(row.ci95.get('mean'))}: mean {first} "
                                       f"accuracy over {', '.join(track.heldout_tasks)}{second}")),
             ("Numbers", esc(f"{row.badge}: " + ("re-scored by `rmbench leaderboard verify`" if row.badge == "verified"
                                                 else "recomputed from the submitted predictions, model not re-run"))),
             ("Organization", esc(sub.get("organization") or "—")), ("Link", link),
             ("Data", data_tag(track.synthetic, track.label)),
             ("Model", esc(public(model.get("id")))), ("Kind", esc(model.get("kind"))),
             ("Base model", esc(public(model.get("base_model")))),
             ("Parameters", esc(f"{model.get('parameters'):,}" if isinstance(model.get("parameters"), int) else "—")),
             ("Weights sha256", f"<code>{esc(model.get('weights_sha256') or '—')}</code>"),
             ("Held out", esc(", ".join(res.get("holdout") or []) or "—")),
             ("Trained on", esc(", ".join(res.get("train_tasks") or []) or "—")),
             ("Best baseline", esc(f"{row.best_baseline} ({fmt(row.best_baseline_mean, 'pct')}%)")),
             ("Margin", esc(f"{fmt(row.margin, 'signed')} points")),
             ("rmbench version", esc(res.get("rmbench_version"))), ("Git commit", esc(res.get("git_commit") or "—")),
             ("Run created", esc(res.get("created_utc"))), ("Submitted", esc(sub.get("submitted_utc"))),
             ("Wall time", esc(f"{res['wall_time_s']:.0f} s" if isinstance(res.get("wall_time_s"), (int, float)) else "—"))]
    plots = "".join(f'<figure><img alt="{esc(name)}" src="data:image/png;base64,{p["png_base64"]}">'
                    f"<figcaption>{esc(name)}</figcaption></figure>" for name, p in sorted(sub["plots"].items()))
    return "\n".join([
        f"<h1>{esc(sub['name'])}</h1>", _facts(facts), "<h2>Metrics</h2>", metrics_table(res, row),
        '<p class="note">Accuracies and baselines in %; ECE (expected calibration error) as a fraction from 0 '
        "(calibrated) to 1.</p>", controls_table(row), margin_table(row),
        "<h2>Plots</h2>", f'<div class="plots">{plots}</div>' if plots else '<p class="muted">No plots submitted.</p>',
        "<h2>Hardware</h2>", key_value_table(res.get("hardware"), "what the run ran on"),
        "<h2>Configuration</h2>",
        '<p class="note">The run\'s resolved settings, by section (<code>rmbench run --help-config</code> says what '
        "each means); paths on the submitter's machine are not shown.</p>", config_tables(res.get("config"))])
