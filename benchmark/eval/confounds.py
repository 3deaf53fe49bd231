"""``baseline:confounds``: a reward model that sees only surface features.

The honest bar for "learned something beyond the surface cues" is not one rule (longer
wins) but the best a model can do from the surface alone. This baseline is a logistic
regression (scikit-learn's ``LogisticRegression``, L2, lbfgs) over features of each
response:

- length: log characters, its square (so "too long" can lose), log words;
- layout: paragraphs, list items, headers, bold spans, links, quotes, question marks,
  code blocks (each as log(1 + count));
- the response delay (log minutes after the post), only where the pairing rule does not
  fix the time order (``preferred_later`` false everywhere it is fitted and scored) and
  every pair has it: under later-but-higher it would give the label away;
- the score age (log hours between the comment and its score snapshot), where known, and
  under the delay's condition: a dump reads a thread's responses at about one moment, so
  their ages differ by minus their time gap, and under later-but-higher the age gives the
  label away as the delay would (on the demo's WritingPrompts it scored 99.6%).

A response's reward is w . (phi(response) - mean) / scale, so the pair's logit is the
weighted *difference* of the two sides' features. It is fitted on the held-in tasks'
training pairs in both orders (chosen - rejected labelled 1, rejected - chosen labelled
0, no intercept: which response is called A never matters), then scored like any model.
The coefficients, feature means and scales go into results.json, so anyone can
re-score a split from them (``ConfoundsModel.from_dict``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from rmbench.errors import DataError

TEXT_FEATURES = ("log_chars", "log_chars_sq", "log_words", "paragraphs", "list_items", "headers", "bold",
                 "links", "quotes", "question_marks", "code_blocks")
DELAY_FEATURES = ("log_delay_min",)
AGE_FEATURES = ("log_score_age_h", "score_age_known")
# L2 strength 1/C: the default. ~15 standardized features on thousands of pairs barely
# feel it, and it keeps a fit on a few dozen pairs finite.
C_REGULARIZATION = 1.0

_LIST = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\S", re.M)
_HEADER = re.compile(r"^\s*#{1,6}\s+\S", re.M)
_BOLD = re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__")
_LINK = re.compile(r"https?://|www\.|\]\(")
_QUOTE = re.compile(r"^\s*(?:>|&gt;)", re.M)  # dumps keep Reddit's HTML escape for '>'
_FENCE = re.compile(r"^\s*```", re.M)
_INDENTED = re.compile(r"(?:^(?: {4}|\t)\S.*(?:\n|$))+", re.M)


def text_features(text: str) -> list[float]:
    """The per-response surface features (TEXT_FEATURES order)."""
    chars = math.log1p(len(text))
    paragraphs = len([b for b in re.split(r"\n\s*\n", text) if b.strip()])
    code = len(_FENCE.findall(text)) // 2 + len(_INDENTED.findall(text))
    counts = (paragraphs, len(_LIST.findall(text)), len(_HEADER.findall(text)), len(_BOLD.findall(text)),
              len(_LINK.findall(text)), len(_QUOTE.findall(text)), text.count("?"), code)
    return [chars, chars * chars, math.log1p(len(text.split()))] + [math.log1p(c) for c in counts]


def _side(row: dict, side: str, names: Sequence[str]) -> list[float]:
    f = text_features(row[side])
    if "log_delay_min" in names:
        f.append(math.log1p(max(0, row[f"{side}_delay_s"]) / 60))
    if "log_score_age_h" in names:
        age = row.get(f"{side}_score_age_s")
        f += [math.log1p(max(0, age) / 3600), 1.0] if age is not None else [0.0, 0.0]
    return f


def feature_names(rows: Sequence[dict], use_delay: bool) -> tuple[str, ...]:
    """The features this data supports: delays only when allowed and known for every pair,
    score ages only when allowed (the same condition: they carry the response time too) and
    some response has one."""
    names = TEXT_FEATURES
    if not use_delay:
        return names
    if rows and all(r.get("chosen_delay_s") is not None and r.get("rejected_delay_s") is not None for r in rows):
        names += DELAY_FEATURES
    if any(r.get(f"{s}_score_age_s") is not None for r in rows for s in ("chosen", "rejected")):
        names += AGE_FEATURES
    return names


@dataclass
class ConfoundsModel:
    """A fitted surface-feature reward: ``rewards(rows)`` -> (chosen, rejected)."""

    features: list[str]
    coef: list[float]
    mean: list[float]
    scale: list[float]
    fit_tasks: list[str] = field(default_factory=list)
    train_pairs: int = 0
    train_accuracy: float | None = None
    library: str = ""
    regularization_c: float = C_REGULARIZATION

    def side_rewards(self, rows: Sequence[dict], side: str) -> list[float]:
        if not rows:
            return []
        x = np.array([_side(r, side, self.features) for r in rows], dtype=float)
        return ((x - np.asarray(self.mean)) / np.asarray(self.scale) @ np.asarray(self.coef)).tolist()

    def rewards(self, rows: Sequence[dict]) -> tuple[list[float], list[float]]:
        missing = [f for f in DELAY_FEATURES if f in self.features]
        if missing and any(r.get("chosen_delay_s") is None or r.get("rejected_delay_s") is None for r in rows):
            raise DataError("baseline:confounds was fitted with response delays, but these pairs lack them")
        return self.side_rewards(rows, "chosen"), self.side_rewards(rows, "rejected")

    def to_dict(self) -> dict:
        doc = asdict(self)
        doc["coefficients"] = dict(zip(self.features, self.coef))  # readable beside the vectors
        return doc

    @classmethod
    def from_dict(cls, doc: dict) -> ConfoundsModel:
        keys = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in doc.items() if k in keys})


def fit_confounds(rows: Sequence[dict], *, use_delay: bool, fit_tasks: Sequence[str] = ()) -> ConfoundsModel:
    """Fit on ``rows`` (training pairs), both orders. Raises DataError without pairs."""
    import sklearn
    from sklearn.linear_model import LogisticRegression

    if not rows:
        raise DataError("baseline:confounds needs training pairs of held-in tasks, and there are none "
                        "(every task with data is being evaluated as held out)")
    names = feature_names(rows, use_delay)
    c = np.array([_side(r, "chosen", names) for r in rows], dtype=float)
    r = np.array([_side(r, "rejected", names) for r in rows], dtype=float)
    both = np.concatenate([c, r])
    mean, scale = both.mean(axis=0), both.std(axis=0)
    scale[scale < 1e-3] = 1.0  # a (near-)constant feature (no headers anywhere) gets weight ~0, not NaN
    d = (c - r) / scale
    x, y = np.concatenate([d, -d]), np.concatenate([np.ones(len(d)), np.zeros(len(d))])
    clf = LogisticRegression(C=C_REGULARIZATION, fit_intercept=False, max_iter=2000).fit(x, y)
    coef = clf.coef_[0]
    acc = float(np.mean(np.where(d @ coef > 0, 1.0, np.where(d @ coef < 0, 0.0, 0.5))))
    return ConfoundsModel(features=list(names), coef=[round(float(v), 6) for v in coef],
                          mean=[round(float(v), 6) for v in mean], scale=[round(float(v), 6) for v in scale],
                          fit_tasks=sorted(fit_tasks), train_pairs=len(rows), train_accuracy=round(acc, 6),
                          library=f"scikit-learn {sklearn.__version__}")
