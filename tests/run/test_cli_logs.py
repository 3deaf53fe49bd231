"""`rmbench run --holdout WritingPrompts > log 2> err`: a log whose summary table has no
broken cell, and an err with progress lines but no bar frames, run as a user would."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from rmbench.eval.report import rows

BAR_DEBRIS = ("━", "\r", "\x1b[", "⠋", "⠙")  # bar glyphs, carriage returns, escape codes, spinner frames


def rmbench_exe() -> str:
    return shutil.which("rmbench", path=str(Path(sys.executable).parent)) or "rmbench"


def test_run_into_a_log_keeps_every_row_on_one_line_and_progress_as_plain_lines(tmp_path, tiny_cli_env):
    with open(tmp_path / "log", "w") as log, open(tmp_path / "err", "w") as err:
        proc = subprocess.run([rmbench_exe(), "run", "--holdout", "WritingPrompts"], cwd=tmp_path, env=tiny_cli_env,
                              stdout=log, stderr=err, timeout=900)
    out, errs = (tmp_path / "log").read_text(), (tmp_path / "err").read_text()
    assert proc.returncode == 0, errs
    (run_dir,) = (tmp_path / "runs").iterdir()
    doc = json.loads((run_dir / "results.json").read_text())
    body = [line for line in out.splitlines() if line.startswith("│")]
    assert len(body) == len(rows(doc)) > 3  # one line per split: no cell wrapped onto a second line
    for r in rows(doc):  # a --limit sample's cell names the sample after the split
        cell = r["split"] + (f" ({r['sample']})" if r["sample"] else "")
        assert sum(line.split("│")[1].strip() == r["task"] and line.split("│")[2].strip() == cell
                   for line in body) == 1
    assert "…" not in out and str(run_dir.relative_to(tmp_path) / "results.json") in out
    assert not any(s in errs for s in BAR_DEBRIS), errs[:2000]
    lines = errs.splitlines()
    assert "" not in lines  # no blank-line debris
    assert any(line.startswith("training") and "steps" in line for line in lines)  # alive in a log
    assert not any(s in out for s in BAR_DEBRIS[1:])  # no progress frame on stdout either


def test_quiet_leaves_only_warnings_on_stderr(tmp_path, tiny_cli_env):
    proc = subprocess.run([rmbench_exe(), "--quiet", "evaluate", "--model", "baseline:longer", "--format", "tsv"],
                          cwd=tmp_path, env=tiny_cli_env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert not any(line.startswith(("scoring", "loading", "pairing")) for line in proc.stderr.splitlines())
    header, *body = proc.stdout.splitlines()
    assert header.split("\t")[:3] == ["task", "split", "role"] and "ci95_low_pct" in header and body
