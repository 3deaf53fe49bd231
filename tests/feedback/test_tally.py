"""Inter-rater agreement: Krippendorff's nominal alpha against the published worked example,
and the edge cases a rater page produces (one rater, everyone the same, skips)."""

from __future__ import annotations

import pytest

from rmbench.feedback.store import Click
from rmbench.feedback.tally import agreement, nominal_agreement, per_item, per_rater


def test_alpha_matches_krippendorffs_worked_example():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the nominal example with
    # missing values: 4 observers, 12 units (None: no answer); alpha = 0.743.
    table = [[1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
             [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
             [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
             [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None]]
    units = [[row[u] for row in table if row[u] is not None] for u in range(12)]
    got = nominal_agreement(units)
    assert got["krippendorff_alpha"] == pytest.approx(0.743, abs=5e-4)
    assert got["items"] == 11  # unit 12 has one answer: no agreement to measure


def test_perfect_chance_and_degenerate_agreement():
    assert nominal_agreement([["A", "A"], ["B", "B"], ["tie", "tie"]])["krippendorff_alpha"] == pytest.approx(1.0)
    # everyone always says A: agreement is total but chance explains it; alpha is undefined
    same = nominal_agreement([["A", "A"], ["A", "A", "A"]])
    assert same["percent_agreement"] == 1.0 and same["krippendorff_alpha"] is None
    # systematic disagreement is below zero
    assert nominal_agreement([["A", "B"], ["A", "B"], ["B", "A"]])["krippendorff_alpha"] < 0
    assert nominal_agreement([["A"], []]) == {"items": 0, "rater_pairs": 0, "percent_agreement": None,
                                              "krippendorff_alpha": None}


def test_skips_are_left_out_of_agreement_but_counted_per_item_and_rater():
    votes = [Click(1, "s-000001", "i1", "A", 10, "ada"), Click(2, "s-000002", "i1", "A", 11, "bob"),
             Click(3, "s-000003", "i1", "skip", 12, "cy"), Click(4, "s-000001", "i2", "tie", 13, "ada"),
             Click(5, "s-000002", "i2", "both_bad", 14, "bob")]
    a = agreement(votes)
    assert a["items"] == 2 and a["rater_pairs"] == 2 and a["percent_agreement"] == 0.5
    assert per_item(votes)["i1"] == {"A": 2, "B": 0, "tie": 0, "both_bad": 0, "skip": 1, "raters": 3}
    r = per_rater(votes)
    assert r["ada"]["votes"] == 2 and r["ada"]["tie"] == 1 and r["ada"]["first_utc"] == 10 and r["ada"]["last_utc"] == 13
    assert r["cy"]["skip"] == 1 and r["cy"]["sessions"] == 1
