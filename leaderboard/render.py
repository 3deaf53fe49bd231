"""``rmbench leaderboard show``: the ranked rows as a terminal table, markdown, CSV or JSON.

All four formats come from one column list, so they can never disagree about what is on
the board; only the terminal and markdown views format numbers for people.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Callable

from rmbench.leaderboard.ranking import Board, Row
from rmbench.leaderboard.tracks import Track

FORMATS = ("table", "markdown", "csv", "json")


@dataclass(frozen=True)
class Column:
    key: str  # what --sort takes
    title: str
    value: Callable[[Row], object]
    kind: str = "text"  # text | int | pct | signed


def columns(track: Track) -> list[Column]:
    cols = [Column("rank", "Rank", lambda r: r.rank, "int"),
            Column("model", "Model", lambda r: r.name),
            Column("badge", "Numbers", lambda r: r.badge),
            Column("organization", "Organization", lambda r: r.organization or ""),
            Column("parameters", "Params", lambda r: r.parameters, "int")]
    for t in track.heldout_tasks:
        for s in track.splits:
            cols.append(Column(f"{t}/{s}", f"{t} {s}", lambda r, k=f"{t}/{s}": r.accuracy.get(k), "pct"))
    cols += [Column("mean", "Mean held-out", lambda r: r.mean, "pct"),
             Column("mean_hard", "Mean held-out hard", lambda r: r.mean_hard, "pct"),
             Column("best_baseline", "Best baseline", lambda r: r.best_baseline or ""),
             Column("margin", "Margin", lambda r: r.margin, "signed"),
             Column("date", "Date", lambda r: r.date),
             Column("data", "Data", lambda r: f"{'synthetic' if r.synthetic else 'real'} ({r.track})"),
             Column("note", "Note", lambda r: r.note)]
    return cols


def sort_keys(tracks: list[Track]) -> list[str]:
    keys: list[str] = []
    for t in tracks:
        keys += [c.key for c in columns(t) if c.key not in keys]
    return keys


def sort_rows(rows: list[Row], track: Track, key: str | None, reverse: bool = False) -> list[Row]:
    """Ranked order by default; numbers sort best-first (rank: 1 first), text A-Z; missing last."""
    if key is None or key == "rank":
        return list(reversed(rows)) if reverse else list(rows)
    col = next((c for c in columns(track) if c.key == key), None)
    if col is None:
        return list(rows)  # a per-task column of another track: keep the ranked order
    present = [r for r in rows if col.value(r) not in (None, "")]
    missing = [r for r in rows if col.value(r) in (None, "")]
    descending = col.kind in ("pct", "signed") or key == "parameters"
    def order(r: Row) -> int:
        return r.rank if r.rank is not None else 10**9

    present.sort(key=lambda r: (col.value(r), -order(r)) if descending else (col.value(r), order(r)),
                 reverse=descending != reverse)
    return present + missing


def fmt(value: object, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "pct":
        return f"{100 * value:.1f}"
    if kind == "signed":
        return f"{100 * value:+.1f}"
    if kind == "int" and isinstance(value, int) and value >= 1_000_000:
        return f"{value / 1e6:.1f}M"
    return str(value)


def _sections(board: Board, sort: str | None, reverse: bool):
    for name, rows in board.rows.items():
        track = board.tracks[name]
        yield track, columns(track), sort_rows(rows, track, sort, reverse)


RANKING_NOTE = ("Rank: mean held-out test accuracy over the track's held-out tasks (each task weighs the same), "
                "recomputed from each entry's per-pair predictions; accuracies in %; margin: points over each "
                "task's best baseline as the track froze it. Numbers: verified (the model was re-scored by "
                "`rmbench leaderboard verify`) or self-reported. Rows with a note (baselines) are for reference, "
                "not ranked.")


def render(board: Board, fmt_name: str, sort: str | None = None, reverse: bool = False, console=None) -> str:
    if fmt_name == "json":
        return json.dumps({"ranking": RANKING_NOTE, "tracks": [
            {"track": t.name, "label": t.label, "synthetic": t.synthetic, "heldout_tasks": list(t.heldout_tasks),
             "rows": [{c.key: c.value(r) for c in cols} | {"ci95": r.ci95, "kind": r.kind, "url": r.url}
                      for r in rows]}
            for t, cols, rows in _sections(board, sort, reverse)]}, indent=1, allow_nan=False)
    if fmt_name == "csv":
        buf = io.StringIO()
        keys = ["track"] + sort_keys(list(board.tracks[n] for n in board.rows))
        w = csv.DictWriter(buf, fieldnames=keys, lineterminator="\n")
        w.writeheader()
        for t, cols, rows in _sections(board, sort, reverse):
            for r in rows:
                w.writerow({"track": t.name} | {c.key: ("" if c.value(r) is None else c.value(r)) for c in cols})
        return buf.getvalue()
    if fmt_name == "markdown":
        out = []
        for t, cols, rows in _sections(board, sort, reverse):
            out.append(f"### {t.name}: {t.label}\n")
            out.append("| " + " | ".join(c.title for c in cols) + " |")
            out.append("|" + "|".join("---:" if c.kind != "text" else "---" for c in cols) + "|")
            for r in rows:
                out.append("| " + " | ".join(_md_cell(fmt(c.value(r), c.kind)) for c in cols) + " |")
            out.append("")
        out.append(f"_{RANKING_NOTE}_")
        return "\n".join(out) + "\n"
    if fmt_name == "table":
        return _rich_table(board, sort, reverse, console)
    raise ValueError(f"unknown format {fmt_name!r} (one of {', '.join(FORMATS)})")


def _md_cell(text: str) -> str:
    # A pipe or newline in a name would break the table; names are checked, organizations are free text.
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _rich_table(board: Board, sort: str | None, reverse: bool, console) -> str:
    from rich.console import Console
    from rich.table import Table

    import sys

    # Piped or captured output has no terminal width; do not squash the table to 80 columns.
    console = console or Console(record=True, width=None if sys.stdout.isatty() else 240)
    with console.capture() as cap:
        for t, cols, rows in _sections(board, sort, reverse):
            table = Table(title=f"{t.name} — {t.label}", caption=RANKING_NOTE, caption_justify="left")
            for c in cols:
                table.add_column(c.title, justify="left" if c.kind == "text" else "right", overflow="fold",
                                 no_wrap=c.key in ("model", "date"))
            for r in rows:
                style = "dim" if r.kind == "baseline" or r.note else None
                table.add_row(*(fmt(c.value(r), c.kind) for c in cols), style=style)
            console.print(table)
    return cap.get()
