"""`rmbench compare`: the command over rmbench.eval.compare (outputs, formats, the output rule)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from rmbench.cli import main


def _runs(tmp_path, write_run_folder, pair_ids):
    ids = pair_ids(60)
    a = write_run_folder(tmp_path / "a", {pid: 1.0 for pid in ids})
    b = write_run_folder(tmp_path / "b", {pid: float(k % 2) for k, pid in enumerate(ids)})
    return a, b


def test_compare_prints_the_table_and_writes_json_markdown_and_a_page(tmp_path, write_run_folder, pair_ids):
    a, b = _runs(tmp_path, write_run_folder, pair_ids)
    out = tmp_path / "cmp"
    res = CliRunner().invoke(main, ["compare", str(a), str(b), "--out", str(out), "--samples", "200"])
    assert res.exit_code == 0, res.output
    assert "Paired comparison with a" in res.stdout and "worse" in res.stdout
    doc = json.loads((out / "compare.json").read_text())
    assert doc["kind"] == "rmbench.compare" and doc["bootstrap"]["samples"] == 200
    assert [r["label"] for r in doc["runs"]] == ["a", "b"] and len(doc["runs"][0]["results_sha256"]) == 64
    assert (out / "compare.md").read_text().startswith("# rmbench compare: against a")
    page = (out / "compare.html").read_text()
    assert "<td>worse</td>" in page and page.count("data:image/png;base64,") == 1  # compare.png, inlined
    assert (out / "compare.png").stat().st_size > 1000 and "![compare.png](compare.png)" in (out / "compare.md").read_text()
    assert (out / ".rmbench-output.json").is_file()
    # the same --out again: refused, then replaced with --overwrite (it is a comparison)
    again = CliRunner().invoke(main, ["compare", str(a), str(b), "--out", str(out)])
    assert again.exit_code == 1 and "exists" in again.output
    assert CliRunner().invoke(main, ["compare", str(a), str(b), "--out", str(out), "--overwrite"]).exit_code == 0


def test_compare_never_writes_into_a_folder_it_did_not_make(tmp_path, write_run_folder, pair_ids):
    a, b = _runs(tmp_path, write_run_folder, pair_ids)
    res = CliRunner().invoke(main, ["compare", str(a), str(b), "--out", str(a), "--overwrite"])
    assert res.exit_code == 1
    assert sorted(p.name for p in a.iterdir()) == ["predictions.jsonl", "results.json"]


def test_compare_for_programs_and_its_errors(tmp_path, write_run_folder, pair_ids):
    a, b = _runs(tmp_path, write_run_folder, pair_ids)
    res = CliRunner().invoke(main, ["compare", str(a), str(b), "--format", "csv"])
    assert res.exit_code == 0, res.output
    (row,) = csv.DictReader(io.StringIO(res.stdout))
    assert (row["n"], row["diff_pp"], row["verdict"]) == ("120", "-50.0", "worse")
    one = CliRunner().invoke(main, ["compare", str(a)])
    assert one.exit_code == 1 and "at least two" in one.output
    (tmp_path / "empty").mkdir()
    bad = CliRunner().invoke(main, ["compare", str(a), str(tmp_path / "empty")])
    assert bad.exit_code == 1 and "not a run folder" in bad.output


def test_compare_reads_seeded_sweeps_over_their_seeds_or_the_ones_named(tmp_path, seeded_sweep):
    ids = {"a": [f"a{i}:x:y" for i in range(30)], "b": [f"b{i}:x:y" for i in range(30)]}
    ones = {t: {p: 1.0 for p in v} for t, v in ids.items()}
    zeros = {t: {p: 0.0 for p in v} for t, v in ids.items()}
    plain = seeded_sweep(tmp_path / "plain", {0: zeros, 1: zeros, 2: zeros})
    other = seeded_sweep(tmp_path / "other", {0: ones, 1: ones, 2: zeros})  # better in seeds 0 and 1
    out = tmp_path / "cmp"
    res = CliRunner().invoke(main, ["compare", str(plain), str(other), "--samples", "200", "--format", "json",
                                    "--out", str(out)])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    doc = json.loads((out / "compare.json").read_text())
    assert [r["seeds"] for r in doc["runs"]] == [[0, 1, 2], [0, 1, 2]]
    assert all(len(r["over_seeds"]["by_seed"]) == 3 for r in doc["rows"]) and (out / "compare.png").stat().st_size > 1000
    assert "verdict in seeds" in (out / "compare.md").read_text()
    pooled = next(r for r in rows if r["task"] == "(pooled)")
    assert pooled["seeds"] == "better in 2 of 3" and pooled["diff_pp"] == pytest.approx(66.7, abs=0.05)
    assert (pooled["seed_range_low_pp"], pooled["seed_range_high_pp"]) == (0.0, 100.0)
    two = CliRunner().invoke(main, ["compare", str(plain), str(other), "--sweep-seeds", "2,1", "--format", "json"])
    assert two.exit_code == 0, two.output
    assert next(r for r in json.loads(two.stdout) if r["task"] == "(pooled)")["seeds"] == "better in 1 of 2"
    bad = CliRunner().invoke(main, ["compare", str(plain), str(other), "--sweep-seeds", "x"])
    assert bad.exit_code == 1 and "--sweep-seeds 'x': expected whole numbers" in bad.output
