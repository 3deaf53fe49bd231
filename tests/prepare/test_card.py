"""The dataset card: a prepared directory is a Hugging Face dataset, ``datasets.load_dataset``
reading the card's configs (every split file its own split, none merged into another)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from rmbench.prepare import prepare
from rmbench.prepared.manifest import Prepared


def load(path: Path, config: str | None, cache: Path, **kw):
    import datasets

    return datasets.load_dataset(str(path), config, cache_dir=str(cache), **kw)


def card(path: Path) -> tuple[dict, str]:
    _, head, body = (path / "README.md").read_text(encoding="utf-8").split("---\n", 2)
    return yaml.safe_load(head), body


def file_ids(path: Path) -> list[str]:
    return [json.loads(line)["pair_id"] for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "prepared"
    prepare("demo", out, progress=False)
    return out


def test_every_task_loads_with_exactly_the_manifests_splits_and_counts(demo, tmp_path):
    doc = Prepared.open(demo).doc
    head, _ = card(demo)
    assert [c["config_name"] for c in head["configs"]] == sorted(doc["tasks"])
    for task, entry in doc["tasks"].items():
        ds = load(demo, task, tmp_path / "hf")
        assert {s: ds[s].num_rows for s in ds} == {s: v["pairs"] for s, v in entry["splits"].items()}
        for split in ds:  # test_hard and all_hard are their own splits, never merged into test
            assert ds[split]["pair_id"] == file_ids(demo / task / f"{split}.jsonl")
    # rmbench's heldout_all is split arithmetic away
    every = load(demo, "gradschool", tmp_path / "hf", split="train+validation+test")
    assert every.num_rows == Prepared.open(demo).pairs("gradschool", "heldout_all")


def test_without_a_config_name_nothing_is_merged(demo, tmp_path):
    with pytest.raises(ValueError, match="(?i)config"):
        load(demo, None, tmp_path / "hf")


def test_empty_split_files_are_left_out_and_the_card_says_so(tmp_path, write_prepared):
    def null_delays_first(task, split, rows):
        # the first split's delays all null, later ones integers: the card's declared types
        # keep every split loadable (inferred per file, null then int64 fails to cast)
        for r in rows if split == "train" else ():
            r["chosen_delay_s"] = r["rejected_delay_s"] = None

    out = write_prepared(tmp_path / "d", sizes={"gradschool": {"train": 8, "validation": 4, "test": 4},
                                                 "askacademia": {}}, edit=null_delays_first)
    head, body = card(out)
    assert [c["config_name"] for c in head["configs"]] == ["gradschool"]  # askacademia has no pairs at all
    ds = load(out, "gradschool", tmp_path / "hf")
    assert {s: ds[s].num_rows for s in ds} == {"train": 8, "validation": 4, "test": 4}
    assert ds["train"]["chosen_delay_s"] == [None] * 8 and ds["test"].features["chosen_delay_s"].dtype == "int64"
    assert "| `test_hard` (empty: not a config split) | 0 |" in body and "| `all_hard` (empty" in body
    with pytest.raises(ValueError):
        load(out, "askacademia", tmp_path / "hf")


def test_the_card_records_rules_counts_fingerprints_version_and_terms(tmp_path, write_prepared):
    from rmbench import __version__

    real = write_prepared(tmp_path / "real", synthetic=False, spec="dumps")
    doc = Prepared.open(real).doc
    head, body = card(real)
    assert head["license"] == "other" and "Reddit content terms" in body and "synthetic" not in head["tags"]
    assert f"rmbench {__version__}" in body and doc["fingerprint"] in body
    for task, e in doc["tasks"].items():
        assert all(e["splits"][s]["fingerprint"] in body for s in e["splits"])
        assert all(f"| `{k}` | `{json.dumps(v)}` |" in body for k, v in e["rules"].items())
        assert f"{e['posts']['seen']:,} seen, {e['posts']['kept']:,} kept" in body
    demo_head, demo_body = card(write_prepared(tmp_path / "synthetic"))
    assert "synthetic" in demo_head["tags"] and "Reddit content terms" not in demo_body


@pytest.mark.parametrize("spec, shown", [("demo:seed=1", "demo:seed=1"), ("hf:stanfordnlp/SHP", "hf:stanfordnlp/SHP"),
                                         ("/data/dumps/reddit/", "reddit"), ("feedback:/home/me/page", "feedback:page")])
def test_a_local_source_is_shown_by_its_folder_name_only(spec, shown):
    from rmbench.prepare.card import source_name

    assert source_name(spec) == shown
