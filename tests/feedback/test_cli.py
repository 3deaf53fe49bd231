"""`rmbench feedback serve|export --dir` on a folder that is not a page: the same one line."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from rmbench.cli import main


@pytest.mark.parametrize("made", [[], ["items.json"]])
def test_serve_and_export_say_a_folder_is_not_a_feedback_page(tmp_path, made):
    folder = tmp_path / "notes"
    folder.mkdir()
    for name in made:  # items.json alone: serve could show it, but export has no provenance to read
        (folder / name).write_text('{"items": []}')
    export = CliRunner().invoke(main, ["feedback", "export", "--dir", str(folder), "--out", str(tmp_path / "out")])
    assert export.exit_code == 1 and "Errno" not in export.output and "Traceback" not in export.output
    assert f"{folder} is not a feedback page (no " in export.output and "rmbench agent compare" in export.output
    assert not (tmp_path / "out").exists()
    if not made:
        serve = CliRunner().invoke(main, ["feedback", "serve", "--dir", str(folder), "--port", "0"])
        same = f"Error: {folder} is not a feedback page (no items.json"  # export also names the provenance
        assert serve.exit_code == 1 and serve.output.startswith(same) and export.output.startswith(same)
