"""HTML for the static site: the ranked table, one page per submission, how-to-submit.

Everything that came from a submission goes through :func:`esc` (names are checked, but
organizations, model ids and configs are free text). Links are only made from URLs that
validation already held to ``http(s)://``; images are only the PNGs validation decoded.
"""

from __future__ import annotations

import html
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
    cls = f' class="text {key}"' if key in ("model", "date") else (' class="text"' if kind == "text" else "")
    return f'<td{cls} data-v="{esc(raw)}">{html_text if html_text is not None else esc(fmt(value, kind))}</td>'


# Left to each entry's page (or said once above the table), so the index fits 1,280 px: the
# badge column (shown beside the name), the data column (the track's heading says it), the
# submission date, and the per-task splits other than the ranked one (the entry's page has
# every split), and the Best-of-N column on a track where no entry has one.
# the note is shown under the entry's name instead: a last column is out of sight on a narrow screen,
# and "100.0" of baseline-later reads as the best entry without its "right by construction"
_OFF_INDEX = {"badge", "data", "date", "note"}


def site_columns(track: Track, rows: list[Row] = ()) -> list:
    """``leaderboard show``'s columns less those the index leaves to other places; a per-task
    column only where the track holds more than one held-out task (else it is the score)."""
    per_task = {f"{t}/{track.splits[0]}" for t in track.heldout_tasks} if len(track.heldout_tasks) > 1 else set()
    off = _OFF_INDEX | (set() if any(r.best_of_n for r in rows) else {"best_of_n"})
    return [c for c in columns(track) if c.key not in off and ("/" not in c.key or c.key in per_task)]


def breakable(title: str) -> str:
    """A heading that may wrap after an underscore (heldout_all_hard would overflow its column)."""
    return esc(title).replace("_", "_<wbr>")


def with_ci(value: object, ci) -> str:
    """A percentage and, under it, its 95% interval (the index's score and accuracy cells)."""
    text = esc(fmt(value, "pct"))
    if value is None or not ci or ci[0] is None:
        return text
    return f'{text}<span class="ci">[{esc(fmt(ci[0], "pct"))}, {esc(fmt(ci[1], "pct"))}]</span>'


def ranking_table(track: Track, rows: list[Row]) -> str:
    cols = site_columns(track, rows)
    head = "".join(f'<th data-key="{esc(c.key)}" data-type="{"text" if c.kind == "text" else "num"}"'
                   f'{_TEXT if c.kind == "text" else ""} title="sort by {esc(c.title)}">{breakable(c.title)}</th>'
                   for c in cols)
    body = []
    for r in rows:
        cells = []
        for c in cols:
            v = c.value(r)
            if c.key == "model":
                badge = ' <span class="tag baseline">baseline</span>' if r.kind == "baseline" else ""
                badge += f' <span class="tag {esc(r.badge)}">{esc(r.badge)}</span>'
                why = f'<span class="why">{esc(r.note)}</span>' if r.note else ""
                cells.append(_cell(v, "text", c.key, f'<a href="s/{esc(r.name)}.html">{esc(r.name)}</a> {badge}{why}'))
            elif c.kind == "pct" and c.key in r.ci95:  # the score, a task's accuracy, best-of-N: with intervals
                cells.append(_cell(v, c.kind, c.key, with_ci(v, r.ci95[c.key])))
            else:
                cells.append(_cell(v, c.kind, c.key))
        cls = ' class="baseline"' if r.kind == "baseline" or r.note else ""
        body.append(f"<tr{cls} data-name=\"{esc(r.name)}\">{''.join(cells)}</tr>")
    return (f'<div class="scroll"><table class="sortable" id="board-{esc(track.name)}">'
            f"<thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(body) + "\n</tbody></table></div>")


def ranked_on(track: Track) -> str:
    """What the track ranks on, in words (HTML)."""
    first = track.splits[0]
    what = ("every post of the held-out task, at most 5 pairs each" if first == "heldout_all" else
            f"the held-out task's {first} split")
    tie = f"; ties: mean <code>{esc(track.splits[1])}</code>" if len(track.splits) > 1 else ""
    return (f"<strong>Ranked on</strong>: mean <code>{esc(first)}</code> accuracy ({esc(what)}) over "
            f"{esc(', '.join(track.heldout_tasks))}, with its 95% interval{tie}. Recomputed from each entry's "
            "per-pair predictions.")


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
        parts.append(f'<p class="ranked-on">{ranked_on(t)}</p>')
        parts.append(f'<p class="muted">Held out: {esc(", ".join(t.heldout_tasks))} · splits: '
                     f'{esc(", ".join(t.splits))} (every split on each entry\'s page) · {len(track_rows)} entries · '
                     f'benchmark version {esc(t.benchmark_version)}</p>')
        parts.append(ranking_table(t, track_rows) if track_rows else '<p class="muted">No submissions yet.</p>')
    parts.append(f'<p class="note">Built by rmbench {esc(__version__)}.</p>')
    return page("Rankings", "\n".join(parts), script=True)


def contributing_page(markdown_html: str) -> str:
    return page("How to submit", f'<div class="md">{markdown_html}</div>')


def detail_page(sub: dict, row: Row, track: Track) -> str:
    from rmbench.leaderboard.detail import detail_body

    return page(sub["name"], detail_body(sub, row, track), depth=1)
