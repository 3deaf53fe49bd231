"""Every table a command prints, in four formats from one column list.

A command builds a ``Sheet`` (its columns and raw values) and calls ``emit(sheet, fmt)``:

- ``table``: rich, for people. On a terminal it fits the window; anywhere else (a pipe, a
  file, a CI or SLURM log) every cell stays on one line -- no wrapping, no ellipsis -- so
  ``rmbench tasks | grep NAME`` finds the whole row and a log never breaks a name.
- ``tsv`` and ``csv``: one header line of machine names, numbers rounded to the precision
  the table shows, an interval as two columns (``..._low``, ``..._high``) and the unit in
  every name (``_pct`` for a percentage, ``_pp`` for a difference in percentage points).
- ``json``: a list of objects with the same keys and values as the csv.

``note(text, fmt)`` prints the lines around a table: on stdout beside a ``table``, on
stderr beside the machine formats, so their stdout stays parseable.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import dataclass, field
from typing import Any

FORMATS = ("table", "tsv", "json", "csv")
# A console this wide never wraps: rich draws a table only as wide as its cells need.
UNLIMITED = 1_000_000

# kind -> (unit suffix of the machine name, decimals shown and kept)
_UNITS = {"pct": ("_pct", 1), "pp": ("_pp", 1), "pct_ci": ("_pct", 1), "pp_ci": ("_pp", 1),
          "float": ("", 3), "int": ("", 0), "text": ("", None), "bool": ("", None)}


@dataclass(frozen=True)
class Column:
    """One column. ``kind``: text, int, bool, float (3 decimals), pct (a fraction shown as a
    percentage), pp (a difference of fractions shown as signed percentage points), pct_ci
    and pp_ci (a ``(low, high)`` interval of those). A number column's cell may hold a word
    instead of a number ("too small"): the table shows it, the machine formats leave it empty."""

    key: str  # machine name without its unit, e.g. "accuracy" -> "accuracy_pct"
    title: str = ""  # table heading (default: key); say the unit, e.g. "acc %"
    kind: str = "text"
    right: bool | None = None  # right-justify (default: numbers)

    def __post_init__(self):
        if self.kind not in _UNITS:
            raise ValueError(f"unknown column kind {self.kind!r}")

    @property
    def data_keys(self) -> list[str]:
        unit = _UNITS[self.kind][0]
        if self.kind.endswith("_ci"):
            return [f"{self.key}_low{unit}", f"{self.key}_high{unit}"]
        return [self.key + unit]

    def data(self, value) -> list:
        """The machine values: rounded as shown, percentages in percent, None kept."""
        if self.kind.endswith("_ci"):
            low, high = value if value else (None, None)
            return [_number(low, self.kind), _number(high, self.kind)]
        return [_number(value, self.kind)]

    def cell(self, value) -> str:
        if self.kind.endswith("_ci"):
            if not value or value[0] is None:
                return "-"
            return f"[{_shown(value[0], self.kind)}, {_shown(value[1], self.kind)}]"
        return _shown(value, self.kind)


def _number(value, kind: str):
    if value is None or kind == "text":
        return value
    if isinstance(value, str):  # a word in a number column ("too small"): no number to give
        return None
    if kind == "bool":
        return bool(value)
    if kind == "int":
        return int(value)
    decimals = _UNITS[kind][1]
    scaled = 100 * value if kind != "float" else value
    return round(float(scaled), decimals) + 0.0  # + 0.0: no "-0.0"


def _shown(value, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "text" or isinstance(value, str):  # a number column may hold a word instead: shown as written
        return str(value)
    if kind == "bool":
        return "yes" if value else "no"
    if kind == "int":
        return f"{int(value):,}"
    number = _number(value, kind)
    return f"{number:+.1f}" if kind.startswith("pp") else f"{number:.{_UNITS[kind][1]}f}"


@dataclass
class Sheet:
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)  # raw values, in column order
    title: str = ""
    caption: str = ""
    styles: list[str | None] = field(default_factory=list)  # rich style per row (table only)

    def add(self, *values, style: str | None = None) -> None:
        if len(values) != len(self.columns):
            raise ValueError(f"{len(values)} values for {len(self.columns)} columns")
        self.rows.append(list(values))
        self.styles.append(style)

    def records(self) -> list[dict]:
        out = []
        for row in self.rows:
            rec = {}
            for col, value in zip(self.columns, row):
                rec.update(zip(col.data_keys, col.data(value)))
            out.append(rec)
        return out


def on_terminal(stream=None) -> bool:
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def stdout_console():
    """The console for results: the window's width on a terminal, unlimited elsewhere."""
    from rich.console import Console

    if on_terminal():
        return Console()
    return Console(width=UNLIMITED, soft_wrap=True)


def rich_table(sheet: Sheet, terminal: bool | None = None):
    """The sheet as a rich Table; off a terminal no column may wrap, fold or cut a cell."""
    from rich.table import Table
    from rich.text import Text

    terminal = on_terminal() if terminal is None else terminal
    # Text, not markup, here too: a title names a model or task, a caption may quote a rule.
    table = Table(title=Text(sheet.title) if sheet.title else None,
                  caption=Text(sheet.caption) if sheet.caption else None, caption_justify="left")
    for col in sheet.columns:
        right = col.right if col.right is not None else col.kind != "text"
        table.add_column(col.title or col.key, justify="right" if right else "left",
                         no_wrap=not terminal, overflow="fold" if terminal else "ignore")
    for row, style in zip(sheet.rows, sheet.styles or [None] * len(sheet.rows)):
        # Text, not markup: a task or model name with "[" in it is printed as written.
        table.add_row(*(Text(c.cell(v)) for c, v in zip(sheet.columns, row)), style=style)
    return table


def render(sheet: Sheet, fmt: str) -> str:
    """The machine formats as text (``table`` is printed by ``emit``)."""
    records = sheet.records()
    keys = [k for c in sheet.columns for k in c.data_keys]
    if fmt == "json":
        return json.dumps(records, indent=1, allow_nan=False) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(keys)
        for rec in records:
            w.writerow(["" if rec[k] is None else _plain(rec[k]) for k in keys])
        return buf.getvalue()
    if fmt == "tsv":  # a tab or newline inside a cell would break the row: one space instead
        lines = ["\t".join(keys)]
        lines += ["\t".join(" ".join(str("" if rec[k] is None else _plain(rec[k])).split()) for k in keys)
                  for rec in records]
        return "\n".join(lines) + "\n"
    raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#!"})


def md_escape(text) -> str:
    """``text`` on one line, every Markdown-special character escaped: shown as written."""
    return " ".join(str(text).split()).translate(_MD_SPECIAL)


def markdown(sheet: Sheet) -> str:
    """The sheet as a Markdown table (the table format's cells, numbers right-aligned), its
    title above it in bold: for report pages. Every cell is escaped, so a task or model name
    is shown as written, never read as Markdown or HTML."""
    esc = md_escape
    right = [c.right if c.right is not None else c.kind != "text" for c in sheet.columns]
    lines = [f"**{esc(sheet.title)}**", ""] if sheet.title else []
    lines.append("| " + " | ".join(esc(c.title or c.key) for c in sheet.columns) + " |")
    lines.append("|" + "|".join("---:" if r else "---" for r in right) + "|")
    lines += ["| " + " | ".join(esc(c.cell(v)) for c, v in zip(sheet.columns, row)) + " |" for row in sheet.rows]
    if sheet.caption:
        lines += ["", esc(sheet.caption)]
    return "\n".join(lines) + "\n"


def _plain(value):
    return str(value).lower() if isinstance(value, bool) else value


def emit(sheet: Sheet, fmt: str = "table", console=None) -> None:
    """Print the sheet on stdout in ``fmt``."""
    if fmt == "table":
        (console or stdout_console()).print(rich_table(sheet))
        return
    sys.stdout.write(render(sheet, fmt))
    sys.stdout.flush()


def note(text: str, fmt: str = "table", console=None) -> None:
    """A line beside a table: stdout for people, stderr when stdout is data."""
    if fmt == "table":
        (console or stdout_console()).print(text, markup=False, highlight=False)
    else:
        print(text, file=sys.stderr)


def format_option(default: str = "table"):
    """The ``--format table|tsv|json|csv`` option, the same on every command that prints a table."""
    import click

    return click.option("--format", "fmt", type=click.Choice(FORMATS), default=default, show_default=True,
                        help="table: for people (one line per row when piped); tsv, csv, json: for programs "
                             "(rounded as shown, intervals as _low/_high columns, units in the names).")
