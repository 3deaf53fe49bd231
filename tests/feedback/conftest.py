"""Builders for the feedback tests: a page without any model (hand-written stories with
known evaluator rewards) and two tiny HTTP clients for the local server.

As in tests/conftest.py, each builder is a fixture that returns the builder function.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest


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


@pytest.fixture(name="comparisons", scope="session")
def _comparisons_fixture():
    """``comparisons(n=6) -> items``: agent vs generator stories, the evaluator's rewards alternating."""
    return comparisons


@pytest.fixture(name="write_demo_page", scope="session")
def _write_demo_page_fixture():
    """``write_demo_page(path, n=6, seed=0) -> path``: a feedback page built from ``comparisons(n)``."""
    return write_demo_page


@pytest.fixture(name="post", scope="session")
def _post_fixture():
    """``post(url, body, ctype="application/json") -> (status, json)``, HTTP errors included."""
    return post


@pytest.fixture(name="get", scope="session")
def _get_fixture():
    """``get(url) -> (status, bytes)``, HTTP errors included."""
    return get
