"""The README's test command says why a test skipped: without Chromium the browser tests skip
with their reason in the summary, under the README's own `python -m pytest -q` (issue 25)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BROWSER_TEST = "tests/leaderboard/test_site.py::test_site_in_a_real_browser"


def test_readme_says_how_to_install_chromium():
    readme = (REPO / "README.md").read_text()
    assert "apt-get install chromium" in readme and "RMBENCH_CHROMIUM" in readme


def test_a_browser_test_without_chromium_says_so_under_the_readme_command(tmp_path):
    # A PATH with no chromium on it: only the folder of this Python (the fixture looks there
    # and at $RMBENCH_CHROMIUM, which is unset).
    env = {k: v for k, v in os.environ.items() if k != "RMBENCH_CHROMIUM"}
    env["PATH"] = str(Path(sys.executable).parent)
    env["OMP_NUM_THREADS"] = "1"
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", BROWSER_TEST],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    assert "1 skipped" in out
    assert "SKIPPED" in out and "no chromium on PATH" in out  # the reason, not just an "s"
