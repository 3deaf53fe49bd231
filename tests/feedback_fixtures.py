"""A feedback page without any model: hand-written stories with known evaluator rewards."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path


def comparisons(n: int = 6) -> list[dict]:
    out = []
    for i in range(n):
        # Story texts say nothing about their model (the page must not either).
        # The evaluator prefers the agent's story on even items, the generator's on odd ones.
        ra, rg = (1.0, 0.0) if i % 2 == 0 else (0.0, 1.0)
        out.append({"prompt": f"[WP] Prompt number {i}: the lighthouse keeper's last night.",
                    "prompt_id": f"p{i}", "stories": [
                        {"model": "agent", "text": f"The lamp burned until dawn, night {i}.", "reward": ra,
                         "sample_id": f"p{i}-agent"},
                        {"model": "generator", "text": f"The sea was calm and grey, night {i}.",
                         "reward": rg, "sample_id": f"p{i}-generator"}]})
    return out


def write_demo_page(path: Path, n: int = 6, seed: int = 0) -> Path:
    from rmbench.feedback.page import write_page

    write_page(str(path), comparisons(n), seed=seed, meta={"synthetic_data": True})
    return Path(path)


def post(url: str, body: bytes, ctype: str = "application/json") -> tuple[int, dict]:
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": ctype})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
