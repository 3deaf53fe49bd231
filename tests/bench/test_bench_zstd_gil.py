"""bench/bench_zstd_gil.py: its overlap figure tells a call that lets the GIL go from one that
holds it, and the script runs on a small dump."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import zstandard

REPO = Path(__file__).resolve().parents[2]


def test_overlap_tells_a_call_that_releases_the_gil_from_one_that_holds_it(bench_script):
    bench = bench_script("bench_zstd_gil")
    releases = bench.measure(lambda blobs: time.sleep(0.05), [], repeat=3)  # sleep lets the GIL go
    holds = bench.measure(lambda blobs: bench.spin(300_000), [], repeat=3)  # Python bytecode keeps it
    assert releases["overlap"] > 0.6, releases
    assert holds["overlap"] < 0.4, holds


def test_runs_on_a_small_dump(tmp_path: Path):
    lines = "".join(json.dumps({"id": f"c{i}", "body": "word " * (i % 50)}) + "\n" for i in range(20_000))
    (tmp_path / "Emory_comments.zst").write_bytes(zstandard.ZstdCompressor().compress(lines.encode()))
    out = subprocess.run([sys.executable, str(REPO / "bench" / "bench_zstd_gil.py"), str(tmp_path), "--repeat", "1"],
                         capture_output=True, text=True, check=True)
    doc = json.loads(out.stdout)
    assert doc["files"] == 1 and doc["zstandard"] == zstandard.__version__
    for api in ("decompressobj", "stream_reader"):
        assert set(doc[api]) == {"alone_s", "spin_s", "together_s", "overlap"} and api in out.stderr
