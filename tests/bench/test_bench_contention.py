"""bench/bench_contention.py times a training step alone and beside a busy neighbour."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_three_cases_each_timed_against_alone(tmp_path: Path):
    out = subprocess.run([sys.executable, str(REPO / "bench" / "bench_contention.py"), "--steps", "1", "--layers", "1",
                          "--vocab", "500"],
                         capture_output=True, text=True, check=True, cwd=tmp_path, timeout=600)
    r = json.loads(out.stdout)
    cases = r["cases"]
    assert [c["neighbour"] for c in cases] == [False, True, True]
    assert cases[0]["threads"] == cases[1]["threads"] == r["torch_threads"] >= cases[2]["threads"] >= 1
    assert all(c["s_per_step"] > 0 for c in cases) and cases[0]["vs_alone"] == 1.0
    assert "beside one neighbour" in out.stderr
    # the neighbour was killed with the script: no process of it is left
    left = subprocess.run(["pgrep", "-f", "bench_contention.py --child"], capture_output=True, text=True)
    assert left.stdout.strip() == ""
