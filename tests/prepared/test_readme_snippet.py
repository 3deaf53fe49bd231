"""The README's TRL snippet runs as written: prepare the demo, export it for TRL with
MiniLM's length count, and train TRL's RewardTrainer two steps with MiniLM (no EOS token)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MARK = "<!-- readme-trl-snippet"


def snippet() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    after = text[text.index(MARK):]
    return re.search(r"```bash\n(.*?)```", after, re.S).group(1)


@pytest.mark.slow  # the real MiniLM, two TRL steps at up to 512 tokens
def test_readme_trl_snippet_runs_as_written(tmp_path):
    code = snippet()
    assert "--format trl" in code and "RewardTrainer" in code
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "HF_HUB_OFFLINE": "1"}
    res = subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=900)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "over 512 tokens" in res.stdout and "eos_token = '[SEP]'" in res.stdout
    assert "train_loss" in res.stdout + res.stderr
