"""Every JSON file rmbench reads back from a folder a user hands it goes through the limits
reader: a hostile file (nested 100,000 deep, or NaN) is "not ours" or one clear error,
never a RecursionError traceback."""

from __future__ import annotations

import pytest

from rmbench.jsonlimits import JSONLimitError

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("text", [DEEP, '{"kind": NaN}', '{"kind": 1e999}'])
def test_folder_checks_say_not_ours(tmp_path, text):
    from rmbench.atomic import MARKER, read_marker
    from rmbench.model.checkpoints import is_complete
    from rmbench.prepare.build import is_prepared_dir
    from rmbench.prepared.export import EXPORT_MARK, is_export_dir

    for name in ("manifest.json", MARKER, EXPORT_MARK, "trainer_state.json"):
        (tmp_path / name).write_text(text)
    assert is_prepared_dir(tmp_path) is False
    assert read_marker(tmp_path) is None
    assert is_export_dir(tmp_path) is False
    assert is_complete(tmp_path) is False


def test_run_and_page_files_are_one_clear_error(tmp_path):
    from rmbench.agent.artifacts import CARD, read_card
    from rmbench.agent.pipeline import done, marker
    from rmbench.feedback.page import load_items

    (tmp_path / CARD).write_text(DEEP)
    (tmp_path / "items.json").write_text(DEEP)
    marker(tmp_path, "sft").parent.mkdir(parents=True)
    marker(tmp_path, "sft").write_text(DEEP)
    for read in (lambda: read_card(tmp_path), lambda: done(tmp_path, "sft"), lambda: load_items(tmp_path)):
        with pytest.raises(JSONLimitError, match="nested 100000 levels deep"):
            read()
