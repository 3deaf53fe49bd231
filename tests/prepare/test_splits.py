"""The splitter is a pure function of the post id: pinned here, so a change to the salt,
the hash or the bounds (which would silently reshuffle every benchmark) fails CI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import pytest

from rmbench.prepare.splits import FingerprintBuilder, fingerprint, pair_order_key, split_of

IDS = [f"post{i}" for i in range(2000)]
# Fingerprints of the post ids post0..post1999 that land in each split. Pinned: these must
# never change without bumping SPLIT_SALT and every task's version.
PINNED = {
    "train": "fef80d1228fee953db0d686fc11cd1f0e3a92dbf474505c5fe16d9e10ce7b751",
    "validation": "8aca7efc48363436adb28b5d9954158db290f6d8609d1347a36ef8bbf71e6333",
    "test": "902459d320187d35b2796e0e0ea36aab95dfefa4b86f5e2dc6626272111edcc8",
}


@pytest.mark.parametrize("split", sorted(PINNED))
def test_pinned_split_fingerprints(split):
    assert fingerprint([i for i in IDS if split_of(i) == split]) == PINNED[split]


def test_pinned_examples():
    assert (split_of("post0"), split_of("post60"), split_of("post5")) == ("train", "validation", "test")
    assert split_of("9mrjoq") == "test"  # a real GradSchool post id


def test_shares_are_90_5_5():
    counts = Counter(split_of(format(i, "x")) for i in range(40_000))
    assert abs(counts["train"] / 40_000 - 0.90) < 0.01
    assert abs(counts["validation"] / 40_000 - 0.05) < 0.01
    assert abs(counts["test"] / 40_000 - 0.05) < 0.01


def test_same_in_a_fresh_interpreter_with_another_hash_seed():
    """Python's hash() is salted per process; the splitter must not depend on it."""
    code = "from rmbench.prepare.splits import split_of; print(''.join(split_of(f'post{i}')[0] for i in range(300)))"
    here = "".join(split_of(f"post{i}")[0] for i in range(300))
    for seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        assert out.stdout.strip() == here


def test_fingerprint_is_order_free_and_matches_the_stream_builder():
    ids = ["p2:a:b", "p1:c:d", "p1:a:b"]
    assert fingerprint(ids) == fingerprint(reversed(ids))
    b = FingerprintBuilder()
    for i in sorted(ids):
        b.add(i)
    assert b.hexdigest() == fingerprint(ids)
    assert fingerprint(ids) != fingerprint(ids[:2])
    # docs/formats.md: sha256 of the sorted ids joined by "\n"
    import hashlib

    assert fingerprint(ids) == hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()


def test_stream_builder_refuses_unsorted_ids():
    b = FingerprintBuilder()
    b.add("b")
    with pytest.raises(ValueError, match="sorted"):
        b.add("a")


def test_cap_order_is_stable_and_unrelated_to_the_id_order():
    keys = [pair_order_key(f"p:{i}:{j}") for i in range(20) for j in range(20)]
    assert keys == [pair_order_key(f"p:{i}:{j}") for i in range(20) for j in range(20)]
    assert sorted(keys) != keys


def test_split_by_rule_and_the_time_split():
    from rmbench.errors import ConfigError
    from rmbench.prepare.splits import split_by_rule, time_split_of

    assert split_by_rule("hash")["rule"] == "hash"
    rule = split_by_rule("time:2021-01-01")
    assert rule == {**rule, "rule": "time", "date": "2021-01-01", "cutoff_utc": 1_609_459_200}
    for bad in ("time", "time:2021-13-01", "date:2021-01-01", "random"):
        with pytest.raises(ConfigError, match="time:YYYY-MM-DD"):
            split_by_rule(bad)
    cut = rule["cutoff_utc"]
    assert time_split_of("post1", cut, cut) == "test" and time_split_of("post1", cut + 1, cut) == "test"
    before = Counter(time_split_of(format(i, "x"), cut - 1, cut) for i in range(40_000))
    assert set(before) == {"train", "validation"}  # nothing before the date is test
    assert abs(before["validation"] / 40_000 - 5 / 95) < 0.01  # the hash split's 90:5, rescaled
