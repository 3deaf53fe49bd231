"""A prepared folder that is not what rmbench wrote -- a manifest or a pair nested
100,000 levels deep -- ends `evaluate` in one line and exit 1, with nothing left behind."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from rmbench.cli import main

DEEP = "[" * 100_000 + "]" * 100_000


def _evaluate(data, out):
    return CliRunner().invoke(main, ["evaluate", "--model", "baseline:longer", "--data", str(data), "--out", str(out),
                                     "--quiet"])


@pytest.mark.parametrize("where", ["manifest", "split line"])
def test_deep_json_in_prepared_data_is_one_line(tmp_path, write_prepared, where):
    data = write_prepared(tmp_path / "data")
    if where == "manifest":
        (data / "manifest.json").write_text(DEEP)
    else:
        split = data / "writingprompts" / "test.jsonl"
        lines = split.read_text().splitlines()
        lines[1] = '{"pair_id": ' + DEEP + "}"
        split.write_text("\n".join(lines) + "\n")
    res = _evaluate(data, tmp_path / "out")
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output and "RecursionError" not in res.output
    assert ("nested" in res.output) and len(res.output.strip().splitlines()) == 1, res.output
    assert not (tmp_path / "out").exists()


def test_a_deep_scores_file_in_a_resumed_run_is_one_line(tmp_path, write_prepared):
    data = write_prepared(tmp_path / "data")
    out = tmp_path / "out"
    assert _evaluate(data, out).exit_code == 0
    (out / "results.json").unlink()
    score = next((out / "scores").glob("*.json"))
    score.write_text(DEEP)
    res = CliRunner().invoke(main, ["evaluate", "--model", "baseline:longer", "--data", str(data), "--out", str(out),
                                    "--quiet", "--set", "train.resume=true"])
    assert res.exit_code == 1 and "nested" in res.output and "Traceback" not in res.output, res.output
