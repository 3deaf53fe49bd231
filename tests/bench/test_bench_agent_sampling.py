"""bench/bench_agent_sampling.py runs end to end on the tiny generator and times both sides."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_smoke_run_times_both_sides(tmp_path: Path):
    out = tmp_path / "r.json"
    subprocess.run([sys.executable, str(REPO / "bench" / "bench_agent_sampling.py"), "--model", "tiny", "--prompts", "4",
                    "--samples", "2", "--max-new-tokens", "16", "--rl-steps", "1", "--json", str(out)],
                   capture_output=True, text=True, check=True, cwd=tmp_path)
    r = json.loads(out.read_text())
    s = r["stories"]
    assert s["rmbench_sample"]["stories"] == s["peer_generate"]["stories"] == 8
    assert all(0 < x["mean_tokens"] <= 16 for x in (s["rmbench_sample"], s["peer_generate"]))
    assert s["cpu_ratio_peer_over_ours"] > 0
    # The RL side really went through rmbench's decoder, and the peer through TRL's generate.
    assert r["rl"]["rmbench_decode"]["used_rmbench_decoder"] and not r["rl"]["peer_trl_generate"]["used_rmbench_decoder"]
