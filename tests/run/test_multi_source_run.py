"""The flagship configuration end to end, on local files in the hub's exact layout: SHP's
subreddits held in, WritingPrompts held out, `--data hf:stanfordnlp/SHP --data
hf:euclaise/WritingPrompts_preferences`, through the real ``snapshot_download`` answering
offline from a hub cache; the prepared set is cached and follows the files' content."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

SHP, WP = "hf:stanfordnlp/SHP", "hf:euclaise/WritingPrompts_preferences"


@pytest.fixture(scope="module")
def hub(tmp_path_factory, write_shp_layout, write_wp_layout, write_hub_cache):
    root = tmp_path_factory.mktemp("hub")
    shp = write_shp_layout(root / "shp", {"askculinary": 30, "askacademia": 30})
    wp = write_wp_layout(root / "wp", 80)
    cache = root / "hub-cache"
    write_hub_cache(cache, "stanfordnlp/SHP", shp)
    write_hub_cache(cache, "euclaise/WritingPrompts_preferences", wp)
    return root, cache


def _rmbench(args, cache, tmp_path):
    env = {**os.environ, "HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "rmbench.cli", *args], capture_output=True, text=True,
                          timeout=600, env=env, cwd=tmp_path)


@pytest.mark.slow
def test_the_flagship_run_on_hub_layout_files(hub, tmp_path, tiny_bert_dir, write_shp_layout, write_hub_cache):
    root, cache = hub
    model = tiny_bert_dir(tmp_path / "tiny")
    common = ["--holdout", "WritingPrompts", "--data", SHP, "--data", WP, "--model", str(model), "--max-length", "48",
              "--cache-dir", str(tmp_path / "rm-cache"), "--quiet", "--set", "eval.bootstrap_samples=100"]
    proc = _rmbench(["run", *common, "--out", str(tmp_path / "run1")], cache, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads((tmp_path / "run1" / "results.json").read_text())
    assert res["holdout"] == ["writingprompts"] and sorted(res["train_tasks"]) == ["askacademia", "askculinary"]
    assert res["results"]["writingprompts"]["splits"]["heldout_all"]["n"] > 0
    (prepared,) = (tmp_path / "rm-cache").glob("prepared-multi-*")
    manifest = json.loads((prepared / "manifest.json").read_text())
    sources = {b["spec"]: b for b in manifest["source"]["sources"]}
    assert sources[SHP]["tasks"] == ["askacademia", "askculinary"] and sources[WP]["tasks"] == ["writingprompts"]
    assert all(k.startswith(SHP + "/") for k in sources[SHP]["files"])
    stamp = (prepared / "manifest.json").stat().st_mtime_ns
    # the same sources again: the cached set is reused
    proc = _rmbench(["evaluate", "--model", "baseline:longer", "--tasks", "writingprompts", "--data", SHP, "--data", WP,
                     "--cache-dir", str(tmp_path / "rm-cache"), "--quiet", "--out", str(tmp_path / "ev1")], cache, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (prepared / "manifest.json").stat().st_mtime_ns == stamp
    # a new revision of SHP with other content: prepared again
    write_shp_layout(root / "shp2", {"askculinary": 31, "askacademia": 30}, seed=1)
    write_hub_cache(cache, "stanfordnlp/SHP", root / "shp2", revision="1" * 40)
    proc = _rmbench(["evaluate", "--model", "baseline:longer", "--tasks", "writingprompts", "--data", SHP, "--data", WP,
                     "--cache-dir", str(tmp_path / "rm-cache"), "--quiet", "--out", str(tmp_path / "ev2")], cache, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    again = json.loads((prepared / "manifest.json").read_text())
    assert again["tasks"]["askculinary"]["posts"]["seen"] == 31
