"""The small JSON card each agent-side model directory carries (``rmbench_agent.json``)."""

from __future__ import annotations

import json
import os
from pathlib import Path

CARD = "rmbench_agent.json"


def read_card(model_dir: str | os.PathLike) -> dict:
    p = Path(model_dir) / CARD
    return json.loads(p.read_text()) if p.is_file() else {}
