"""bench/bench_parsers.py: every parser reads the same lines, and the exactness check can tell
a reader that refuses an odd line from one that silently differs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import zstandard

REPO = Path(__file__).resolve().parents[2]


def test_the_exactness_check_tells_refusal_from_difference(bench_script):
    bench = bench_script("bench_parsers")
    fields = bench.COMMENT_FIELDS
    assert set(bench._agrees(lambda line, f: [json.loads(line)], fields).values()) == {"same"}

    def first_key_wins(line, f):
        return [dict(reversed(json.JSONDecoder(object_pairs_hook=lambda kv: list(kv)).decode(line.decode())))]

    def refuses(line, f):
        raise ValueError("no")

    got = bench._agrees(first_key_wins, fields)
    assert got["duplicate key (json: the last wins)"] == "differs" and got["float score"] == "same"
    assert set(bench._agrees(refuses, fields).values()) == {"refuses"}


def test_runs_on_a_small_dump(tmp_path: Path):
    comment = {"id": "c1", "link_id": "t3_p", "parent_id": "t3_p", "body": "hi", "created_utc": 5,
               "subreddit": "Emory", "author": "a", "score": 3}
    post = {"id": "p", "subreddit": "Emory", "title": "t", "selftext": "s", "created_utc": 1, "score": 10}
    for name, rec in (("Emory_comments.zst", comment), ("Emory_submissions.zst", post)):
        lines = "".join(json.dumps({**rec, "id": f"{rec['id']}{i}"}) + "\n" for i in range(50))
        (tmp_path / name).write_bytes(zstandard.ZstdCompressor().compress(lines.encode()))
    out = subprocess.run([sys.executable, str(REPO / "bench" / "bench_parsers.py"), "--dumps", str(tmp_path),
                          "--repeat", "1"], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    assert result["files"] == 2 and result["lines"] == 100
    assert {"zstd", "json.loads", "typed", "pyarrow.json"} <= set(result["cpu_seconds"])
    assert result["parse_ratio_to_json_loads"]["json.loads"] == 1.0
