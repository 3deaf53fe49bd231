"""``rmbench leaderboard show``: the ranked rows as a terminal table, markdown, TSV, CSV or JSON.

Every format comes from one column list, so they can never disagree about what is on the
board. The table, TSV, CSV and JSON go through ``rmbench.tables`` (rounded as shown,
percentages as ``_pct``, margins as ``_pp``, each accuracy's interval as its own columns);
markdown and the site format numbers for people with ``fmt``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

from rmbench.leaderboard.groups import GROUPS_NOTE
from rmbench.leaderboard.ranking import Board, Row
from rmbench.leaderboard.tracks import Track
from rmbench.tables import Column as TCol, Sheet, render as render_sheet, rich_table, stdout_console

FORMATS = ("table", "tsv", "markdown", "csv", "json")


@dataclass(frozen=True)
class Column:
    key: str  # what --sort takes
    title: str
    value: Callable[[Row], object]
    kind: str = "text"  # text | int | pct | signed


def columns(track: Track) -> list[Column]:
    cols = [Column("rank", "Rank", lambda r: r.rank, "int"),
            Column("group", "Group", lambda r: r.group, "int"),
            Column("model", "Model", lambda r: r.name),
            Column("badge", "Numbers", lambda r: r.badge),
            Column("organization", "Organization", lambda r: r.organization or ""),
            Column("parameters", "Params", lambda r: r.parameters, "int")]
    for t in track.heldout_tasks:
        for s in track.splits:
            cols.append(Column(f"{t}/{s}", f"{t} {s}", lambda r, k=f"{t}/{s}": r.accuracy.get(k), "pct"))
    # The titles say what is ranked: the mean of the track's first split (heldout_all: every post).
    first, second = track.splits[0], (track.splits[1] if len(track.splits) > 1 else "")
    cols += [Column("mean", f"Score: mean {first}", lambda r: r.mean, "pct"),
             Column("mean_hard", f"Tie-break: mean {second}", lambda r: r.mean_hard, "pct"),
             Column("best_baseline", "Best baseline", lambda r: r.best_baseline or ""),
             Column("margin", "Margin", lambda r: r.margin, "signed"),
             Column("length_controlled", "Length controlled", lambda r: length_controlled_mean(r, track), "pct"),
             Column("stacked", "Δ stacked", lambda r: stacked_mean(r, track), "signed"),
             Column("adds_information", "Adds info", lambda r: adds_information(r, track)),
             Column("best_of_n", "Best-of-N win", lambda r: (r.best_of_n or {}).get("win_rate"), "pct"),
             Column("date", "Date", lambda r: r.date),
             Column("data", "Data", lambda r: f"{'synthetic' if r.synthetic else 'real'} ({r.track})"),
             Column("note", "Note", lambda r: r.note)]
    return cols


def _stacked(r: Row, track: Track) -> list[dict]:
    """The recomputed stacked entries of the track's first split (heldout_all), one per task."""
    return [(r.splits.get(f"{t}/{track.splits[0]}") or {}).get("stacked") or {} for t in track.heldout_tasks]


def length_controlled_mean(r: Row, track: Track) -> float | None:
    """Mean over held-out tasks of the first split's length-controlled accuracy
    (rmbench.eval.controls), recomputed from the track's frozen lengths; None where a task has none."""
    accs = [((r.splits.get(f"{t}/{track.splits[0]}") or {}).get("length_controlled") or {}).get("accuracy")
            for t in track.heldout_tasks]
    return None if not accs or None in accs else sum(accs) / len(accs)


def stacked_mean(r: Row, track: Track) -> float | None:
    """Mean over held-out tasks of stacked - confounds (rmbench.eval.stacked), where recomputed."""
    diffs = [s.get("diff") for s in _stacked(r, track)]
    return None if not diffs or None in diffs else sum(diffs) / len(diffs)


def adds_information(r: Row, track: Track) -> str:
    """yes when every held-out task's verdict is yes, no when one is no, else '-'."""
    verdicts = [s.get("adds_information") for s in _stacked(r, track)]
    return "no" if False in verdicts else "yes" if verdicts and all(v is True for v in verdicts) else "-"


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


RANKING_NOTE = ("Rank: mean accuracy on each track's first split (heldout_all: every post of a held-out task, "
                "capped per post, 5 pairs by default) over its held-out tasks, each task weighing the same; ties decided by the second "
                "split (heldout_all_hard). Recomputed from each entry's per-pair predictions; accuracies in %; margin: "
                "percentage points over each task's best baseline as the track froze it. The score's 95% interval "
                "resamples posts within each task, on the groups' resamples. " + GROUPS_NOTE + " Numbers: "
                "verified (the model was re-scored by `rmbench leaderboard verify`) or self-reported. Rows with a "
                "note (baselines) are for reference, not ranked. Length controlled: on the first split, the mean of "
                "the accuracy where the chosen response is the longer and where it is the shorter (longer-wins scores "
                "50%), over the held-out tasks, recomputed from the track's frozen lengths. Δ stacked / Adds info: "
                "baseline:confounds plus the "
                "entry's reward margin (one logistic model, the run's fit) against confounds alone on the first split, "
                "recomputed from the predictions and the track's frozen confounds logits; 'yes' when the paired "
                "intervals against confounds and against the surface stack (confounds plus the length difference, "
                "the run's fit) lie above 0 on every held-out task (adds information beyond surface features). "
                "Best-of-N win: "
                "the entry's reward model picks one of N stories and a different judge compares it with a random one "
                "of the N (`rmbench agent bon`; 50% = no better than chance), recomputed from its rounds; not ranked "
                "on, a dash where none was submitted.")


_KINDS = {"text": "text", "int": "int", "pct": "pct", "signed": "pp"}  # this module's kinds -> rmbench.tables


def sheet(track: Track, cols: list[Column], rows: list[Row], intervals: bool) -> Sheet:
    """One track as a ``rmbench.tables.Sheet``; ``intervals``: each accuracy's 95% interval as
    its own columns (the machine formats; the terminal table leaves them to the site)."""
    spec = []
    for c in cols:
        spec.append((TCol(c.key, c.title, _KINDS[c.kind]), c.value))
        if intervals and c.kind == "pct" and ("/" in c.key or c.key in ("best_of_n", "mean")):
            spec.append((TCol(f"{c.key}_ci95", f"{c.title} 95% CI", "pct_ci"), lambda r, k=c.key: r.ci95.get(k)))
    out = Sheet([tc for tc, _ in spec], title=f"{track.name} — {track.label}", caption=RANKING_NOTE)
    for r in rows:
        out.add(*(value(r) for _, value in spec), style="dim" if r.kind == "baseline" or r.note else None)
    return out


def render(board: Board, fmt_name: str, sort: str | None = None, reverse: bool = False, console=None) -> str:
    if fmt_name == "json":
        return json.dumps({"ranking": RANKING_NOTE, "tracks": [
            {"track": t.name, "label": t.label, "synthetic": t.synthetic, "heldout_tasks": list(t.heldout_tasks),
             "rows": [rec | {"kind": r.kind, "url": r.url} for rec, r in zip(sheet(t, cols, rows, True).records(), rows)]}
            for t, cols, rows in _sections(board, sort, reverse)]}, indent=1, allow_nan=False) + "\n"
    if fmt_name in ("csv", "tsv"):
        sheets = [sheet(t, cols, rows, True) for t, cols, rows in _sections(board, sort, reverse)]
        names = list(board.rows)
        keys = ["track"] + list(dict.fromkeys(k for sh in sheets for c in sh.columns for k in c.data_keys))
        union = Sheet([TCol(k) for k in keys])
        for name, sh in zip(names, sheets):
            for rec in sh.records():
                union.add(name, *(rec.get(k) for k in keys[1:]))
        return render_sheet(union, fmt_name)
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
        console = console or stdout_console()
        sections = list(_sections(board, sort, reverse))
        last = max((i for i, (_, _, rows) in enumerate(sections) if rows), default=-1)
        with console.capture() as cap:
            for i, (t, cols, rows) in enumerate(sections):
                if not rows:  # a header over nothing says less than this line
                    console.print(f"{t.name} — {t.label}: no submissions yet (`rmbench submit RUN_DIR --name NAME "
                                  f"--track {t.name}`)", markup=False, highlight=False)
                    continue
                sh = sheet(t, cols, rows, False)
                if i != last:  # the ranking note once, under the last table, not under each
                    sh.caption = ""
                console.print(rich_table(sh))
        return cap.get()
    raise ValueError(f"unknown format {fmt_name!r} (one of {', '.join(FORMATS)})")


def _md_cell(text: str) -> str:
    # A pipe or newline in a name would break the table; names are checked, organizations are free text.
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
