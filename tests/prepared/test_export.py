"""``rmbench export``: every format read by the tool it is for, run in the test.

- trl / trl-chat: TRL's RewardTrainer trains two steps on the export, with a tiny GPT-2
  (a tokenizer with EOS), a tiny Llama classifier (a chat template) and a tiny BERT with
  MiniLM's real tokenizer (no EOS, no chat template: the default model's case);
- ``--max-length``: the count equals the pairs TRL's own filter drops;
- rewardbench: the checks of RewardBench's custom-data loader, rewritten from its source
  (rewardbench 0.1.4 pins transformers==4.51 and cannot be imported beside ours);
- hf-disk: ``datasets.load_from_disk`` reads back what ``load_prepared`` reads.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rmbench.errors import ConfigError, DataError
from rmbench.prepared.export import EXPORT_MARK, export, int_id
from rmbench.prepared.trl_compat import LengthCheck, for_trl

SIZES = {"gradschool": {"train": 24, "validation": 6, "test": 10, "test_hard": 4, "all_hard": 6}}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, write_prepared):
    return write_prepared(tmp_path_factory.mktemp("prep") / "prepared", sizes=SIZES)


def _rows(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _train_two_steps(model, tok, train_file, tmp_path, max_length=None):
    from datasets import load_dataset
    from trl import RewardConfig, RewardTrainer

    ds = load_dataset("json", data_files=str(train_file), split="train", cache_dir=str(tmp_path / "hf"))
    args = RewardConfig(output_dir=str(tmp_path / "trl"), max_steps=2, per_device_train_batch_size=4,
                        logging_steps=1, report_to="none", use_cpu=True, save_strategy="no",
                        max_length=max_length, dataset_num_proc=None)
    trainer = RewardTrainer(model=model, processing_class=tok, args=args, train_dataset=ds)
    trainer.train()
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    assert len(losses) == 2 and all(x == x for x in losses)  # two finite steps
    return trainer


@pytest.mark.slow  # trains with TRL
@pytest.mark.parametrize("fmt", ["trl", "trl-chat"])
def test_trl_trains_on_the_export_with_every_kind_of_tokenizer(prepared, tmp_path, fmt, tiny_bert, tiny_gpt2_dir,
                                                               tiny_llama_classifier_dir):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    out = tmp_path / "exp"
    result = export(prepared, out, fmt, splits=["train"])
    assert result["pairs"] == {"gradschool": {"train": 24}}
    train = out / "gradschool" / "train.jsonl"
    from trl.data_utils import is_conversational

    assert is_conversational(_rows(train)[0]) == (fmt == "trl-chat")

    # MiniLM's tokenizer has neither EOS nor a chat template: TRL needs for_trl's fix-up.
    model, tok = tiny_bert()
    assert tok.eos_token is None
    changed = for_trl(tok)
    assert any("eos_token" in c for c in changed) and tok.eos_token == tok.sep_token
    _train_two_steps(model, tok, train, tmp_path / "bert")

    path = (tiny_llama_classifier_dir if fmt == "trl-chat" else tiny_gpt2_dir)(tmp_path / "causal")
    tok = AutoTokenizer.from_pretrained(path)
    changed = for_trl(tok)  # these have an EOS; only the GPT-2 lacks a chat template
    assert not any(c.startswith("eos_token") for c in changed)
    assert any(c.startswith("chat_template") for c in changed) == (fmt == "trl")
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=1)
    _train_two_steps(model, tok, train, tmp_path / "causal-run")


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["trl", "trl-chat"])
def test_max_length_count_is_what_trl_drops(prepared, tmp_path, fmt, tiny_bert):
    model, tok = tiny_bert()
    for_trl(tok)
    lengths = LengthCheck(tok, 10_000, "minilm")
    out = tmp_path / "all"
    export(prepared, out, fmt, splits=["train"])
    from rmbench.prepared.trl_compat import trl_token_ids

    longest = sorted(max(len(a), len(b)) for a, b in trl_token_ids(tok, _rows(out / "gradschool" / "train.jsonl")))
    limit = longest[len(longest) // 2]  # about half the pairs go over
    check = LengthCheck(tok, limit, "minilm")
    result = export(prepared, tmp_path / "cut", fmt, splits=["train"], length_check=check)
    over = result["over_max_length"]["gradschool"]["train"]
    assert 0 < over < 24 and lengths.too_long(_rows(out / "gradschool" / "train.jsonl")) == 0
    trainer = _train_two_steps(model, tok, tmp_path / "cut" / "gradschool" / "train.jsonl", tmp_path, max_length=limit)
    assert len(trainer.train_dataset) == 24 - over
    mark = json.loads((tmp_path / "cut" / EXPORT_MARK).read_text())
    assert mark["over_max_length"] == {"gradschool": {"train": over}} and mark["max_length"] == limit


def _rewardbench_load(path, tokenizer):
    """The checks of ``rewardbench.utils.load_and_process_dataset`` (json=True) and
    ``prepare_dialogue_from_tokenizer`` in rewardbench 0.1.4 (rewardbench/utils.py), rewritten:
    a string prompt means chosen/rejected are message lists ending with the response."""
    from datasets import load_dataset

    ds = load_dataset("json", data_files=str(path), split="train", cache_dir=str(path.parent / "hf"))
    assert "chosen" in ds.column_names and "rejected" in ds.column_names  # preference data
    prompt_is_list = isinstance(ds.features["prompt"], list) or getattr(ds.features["prompt"], "_type", "") == "List"
    out = []
    for ex in ds:
        if not prompt_is_list:  # process_preference_data
            ex["prompt"] = ex["chosen"][:-1]
            ex["chosen"] = ex["chosen"][-1]["content"]
            ex["rejected"] = ex["rejected"][-1]["content"]
        messages = []  # prepare_dialogue_from_tokenizer, multi-turn branch
        for i, line in enumerate(ex["prompt"]):
            messages.append({"role": "user" if i % 2 == 0 else "assistant", "content": line["content"]})
        assert messages[-1]["role"] == "user"
        text = {}
        for side in ("chosen", "rejected"):
            text[side] = tokenizer.apply_chat_template(messages + [{"role": "assistant", "content": ex[side]}],
                                                       tokenize=False)
        out.append({**ex, "text_chosen": text["chosen"], "text_rejected": text["rejected"]})
    return ds, out


def test_rewardbench_layout_passes_its_loader(prepared, tmp_path, tiny_chat_tokenizer):
    out = tmp_path / "rb"
    export(prepared, out, "rewardbench")
    src = _rows(prepared / "gradschool" / "test.jsonl")
    ds, processed = _rewardbench_load(out / "gradschool" / "test.jsonl", tiny_chat_tokenizer())
    assert ds.column_names == ["id", "subset", "prompt", "chosen", "rejected", "chosen_model", "rejected_model"]
    assert ds.features["id"].dtype == "int64" and ds.features["prompt"].dtype == "string"
    assert len(processed) == len(src) == 10
    for p, s in zip(processed, src):
        assert p["id"] == int_id(s["pair_id"]) and p["subset"] == "gradschool/test"
        assert p["chosen"] == s["chosen"] and p["rejected"] == s["rejected"]
        assert s["chosen"] in p["text_chosen"] and s["prompt"] in p["text_chosen"]
        assert p["chosen_model"] == p["rejected_model"] == "human (r/gradschool)"
    ids = [r["id"] for sp in ("train", "validation", "test") for r in _rows(out / "gradschool" / f"{sp}.jsonl")]
    assert len(set(ids)) == len(ids) and all(0 <= i < 2 ** 53 for i in ids)


def test_hf_disk_round_trips(prepared, tmp_path):
    from datasets import load_from_disk

    from rmbench.prepared.load import load_prepared

    export(prepared, tmp_path / "hf", "hf-disk", splits=["train", "test_hard"])
    dd = load_from_disk(str(tmp_path / "hf" / "gradschool"))
    want = load_prepared(prepared, "gradschool")
    assert set(dd) == {"train", "test_hard"}
    for sp in dd:
        assert dd[sp].features == want[sp].features and dd[sp].to_list() == want[sp].to_list()


def test_hf_disk_empty_split_loads_with_its_features(tmp_path, write_prepared):
    from datasets import load_from_disk

    from rmbench.prepared.load import features

    data = write_prepared(tmp_path / "prep", sizes={"gradschool": {"train": 4, "validation": 0, "test": 2}})
    result = export(data, tmp_path / "hf", "hf-disk")
    assert result["pairs"]["gradschool"]["validation"] == 0
    dd = load_from_disk(str(tmp_path / "hf" / "gradschool"))
    assert dd["validation"].num_rows == 0 and dd["train"].num_rows == 4
    assert all(dd[sp].features == features() for sp in dd)


def test_bad_requests_are_clear_errors(prepared, tmp_path, tiny_bert):
    _, tok = tiny_bert()
    with pytest.raises(ConfigError, match="--format trl or trl-chat"):
        export(prepared, tmp_path / "x", "rewardbench", length_check=LengthCheck(tok, 8, "t"))
    with pytest.raises(ConfigError, match="Did you mean trl"):
        export(prepared, tmp_path / "x", "tlr")
    assert not (tmp_path / "x").exists()
    from rmbench.cli import main

    res = CliRunner().invoke(main, ["export", "--data", str(prepared), "--out", str(tmp_path / "y"),
                                    "--max-length", "64"])
    assert res.exit_code == 2 and "--max-length and --model go together" in res.output


def test_a_bad_line_is_named_and_nothing_is_left(prepared, tmp_path, write_prepared):
    data = write_prepared(tmp_path / "bad", sizes=SIZES)
    split = data / "gradschool" / "test.jsonl"
    lines = split.read_text().splitlines()
    lines[3] = "[" * 100_000 + "]" * 100_000  # a RecursionError for json.loads
    split.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"test\.jsonl, line 4: nested too deeply"):
        export(data, tmp_path / "out", "trl")
    assert not (tmp_path / "out").exists()


def test_an_unknown_split_suggests_the_close_one(prepared, tmp_path):
    with pytest.raises(DataError, match=r"unknown split 'tset'.*Did you mean test\?"):
        export(prepared, tmp_path / "x", "trl", splits=["tset"])
    assert not (tmp_path / "x").exists()


def test_counting_long_texts_does_not_warn_about_the_models_own_limit(tmp_path, tiny_bert_dir, capfd):
    """--max-length measures texts past the model's limit on purpose: transformers' "Token indices
    sequence length is longer than the specified maximum" would only be noise in the export's log."""
    check = LengthCheck.for_model(str(tiny_bert_dir(tmp_path / "tiny")), 64)
    long_text = "word " * 2000  # past MiniLM's 512
    rows = [{"prompt": "why?", "chosen": long_text, "rejected": "short", "pair_id": "p:a:b"}]
    assert check.too_long(rows) == 1
    assert "Token indices sequence length" not in capfd.readouterr().err
