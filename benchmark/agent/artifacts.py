"""The small JSON card each agent-side model directory carries (``rmbench_agent.json``)."""

from __future__ import annotations

import os
from pathlib import Path
from rmbench.jsonlimits import read_json_file

CARD = "rmbench_agent.json"


def read_card(model_dir: str | os.PathLike) -> dict:
    p = Path(model_dir) / CARD
    return read_json_file(p) if p.is_file() else {}
