"""Tables that survive pipes: one line per row off a terminal, and machine formats rounded
as shown, intervals as their own columns, units in the names."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from rmbench.registry import all_tasks
from rmbench.tables import Column, Sheet, render, rich_table


def _sheet() -> Sheet:
    s = Sheet([Column("task"), Column("n", kind="int"), Column("accuracy", "acc %", "pct"),
               Column("ci95", "95% CI", "pct_ci"), Column("diff", "Δ", "pp"), Column("ece", kind="float"),
               Column("clears", kind="bool")], title="t")
    s.add("a[b]", 1234, 0.61234, (0.55551, 0.70049), -0.04437900000000006, 0.123456, True)
    s.add("c", 5, None, None, None, None, False)
    return s


def test_csv_is_rounded_as_shown_with_interval_columns_and_units():
    rows = list(csv.DictReader(io.StringIO(render(_sheet(), "csv"))))
    assert list(rows[0]) == ["task", "n", "accuracy_pct", "ci95_low_pct", "ci95_high_pct", "diff_pp", "ece", "clears"]
    assert rows[0] == {"task": "a[b]", "n": "1234", "accuracy_pct": "61.2", "ci95_low_pct": "55.6",
                       "ci95_high_pct": "70.0", "diff_pp": "-4.4", "ece": "0.123", "clears": "true"}
    assert rows[1]["accuracy_pct"] == "" and rows[1]["ci95_low_pct"] == "" and rows[1]["clears"] == "false"


def test_tsv_and_json_carry_the_same_values():
    tsv = render(_sheet(), "tsv").splitlines()
    assert tsv[0].split("\t")[2:5] == ["accuracy_pct", "ci95_low_pct", "ci95_high_pct"]
    assert tsv[1].split("\t")[5] == "-4.4"
    data = json.loads(render(_sheet(), "json"))
    assert data[0]["diff_pp"] == -4.4 and data[0]["ci95_high_pct"] == 70.0 and data[1]["accuracy_pct"] is None


def test_a_tab_or_newline_in_a_cell_cannot_break_a_tsv_row():
    s = Sheet([Column("a"), Column("b")])
    s.add("x\ty", "line\nbreak")
    assert render(s, "tsv").splitlines()[1].split("\t") == ["x y", "line break"]


def test_off_a_terminal_no_cell_wraps():
    from rich.console import Console

    s = Sheet([Column("name"), Column("rules")])
    long = "top-level, later-but-higher, ratio>=2, scores>=2, post>=10, <=5/post " * 3
    s.add("askanthropology", long)
    buf = io.StringIO()
    Console(file=buf, width=1_000_000).print(rich_table(s, terminal=False))
    lines = buf.getvalue().splitlines()
    assert sum("askanthropology" in line for line in lines) == 1
    assert long.strip() in next(line for line in lines if "askanthropology" in line)
    assert "…" not in buf.getvalue()


@pytest.mark.parametrize("name", ["explainlikeimfive", "writingprompts-agent"])
def test_tasks_piped_to_grep_finds_exactly_one_line(name):
    """`rmbench tasks | grep NAME` prints exactly one line: stdout is a pipe, as under grep."""
    out = subprocess.run([sys.executable, "-m", "rmbench.cli", "tasks"], capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin", "COLUMNS": "80", "TERM": "xterm"}).stdout
    hits = [line for line in out.splitlines() if name in line]
    assert len(hits) == 1, hits
    assert len(out.splitlines()) < len(all_tasks()) + 10  # one line per task, a few for the frame


def test_no_color_is_honoured_on_a_terminal(monkeypatch):
    import rmbench.tables as tables

    monkeypatch.setattr(tables, "on_terminal", lambda stream=None: True)
    monkeypatch.setenv("NO_COLOR", "1")
    assert tables.stdout_console().no_color
    monkeypatch.delenv("NO_COLOR")
    assert not tables.stdout_console().no_color


def test_no_command_builds_its_own_rich_table_console_or_bar():
    """Only rmbench.tables and rmbench.console construct rich tables, consoles and bars: one
    elsewhere would wrap cells in a log or draw frames into it again."""
    import re
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    owners = {repo / "benchmark" / "tables.py", repo / "benchmark" / "console.py"}
    found = [f"{p.relative_to(repo)}:{n}" for folder in ("benchmark", "leaderboard", "tasks")
             for p in sorted((repo / folder).rglob("*.py")) if p not in owners
             for n, line in enumerate(p.read_text().splitlines(), 1)
             if re.search(r"(?<![\w.])(Console|Table|Progress)\(", line)]
    assert not found, found


def test_markdown_table_escapes_names_and_keeps_the_table_cells():
    from rmbench.htmlpage import markdown_to_html
    from rmbench.tables import markdown

    sheet = Sheet([Column("model"), Column("acc", "acc %", "pct"), Column("ci", "95% CI", "pct_ci")], title="T | x")
    sheet.add("a|b <i>x</i> *m_1*", 0.5, (0.4, 0.6))
    sheet.add("c", None, None)
    md = markdown(sheet)
    assert md.splitlines()[2:4] == ["| model | acc % | 95% CI |", "|---|---:|---:|"]
    html = markdown_to_html(md)
    assert "<td>a|b &lt;i&gt;x&lt;/i&gt; *m_1*</td>" in html  # shown as written: no cell split, no markup
    assert '<td style="text-align:right">50.0</td>' in html and "<td style=\"text-align:right\">[40.0, 60.0]</td>" in html
    assert html.count("<tr>") == 3
