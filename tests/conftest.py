"""Fixtures shared across test modules: paths to the real data and a headless browser."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DUMPS = REPO.parent / "shared" / "data" / "reddit-dumps"
# The closed network refuses Chromium's background connections; these flags stop it trying.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="session")
def shared_dumps() -> Path:
    if not SHARED_DUMPS.is_dir():
        pytest.skip(f"real Reddit dumps not found at {SHARED_DUMPS} (they sit beside the checkout in CI)")
    return SHARED_DUMPS


@pytest.fixture(scope="session")
def browser():
    """A headless Debian Chromium driven by Playwright (no browser download: the system one)."""
    exe = os.environ.get("RMBENCH_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        pytest.skip("no chromium on PATH (.ci/run installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def artifacts_dir() -> Path:
    """Screenshots and other files a person may want to look at after the run."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
