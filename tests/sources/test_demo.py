"""The demo corpus: deterministic, labelled synthetic, learnable, and it exercises every rule."""

from __future__ import annotations

import hashlib
import itertools
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from rmbench.errors import SourceError
from rmbench.registry import tasks_for_subreddit
from rmbench.sources import open_source
from rmbench.sources import demo_text
from rmbench.sources.demo import GENERATOR_VERSION, DemoConfig, DemoSource, corpus_dir

SMALL = dict(writingprompts_posts=30, posts_per_other_subreddit=12)


def digests(d: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.glob("*.zst"))}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("RMBENCH_CACHE", str(tmp_path))
    return tmp_path


def test_same_seed_same_bytes_other_seed_other_bytes(cache: Path, monkeypatch):
    first = DemoSource(DemoConfig(**SMALL)).root
    monkeypatch.setenv("RMBENCH_CACHE", str(cache / "again"))
    second = DemoSource(DemoConfig(**SMALL)).root
    other = DemoSource(DemoConfig(seed=1, **SMALL)).root
    assert first != second and digests(first) == digests(second)
    assert len(digests(first)) == 2 * (1 + len(DemoConfig().other_subreddits))
    assert all(digests(first)[name] != h for name, h in digests(other).items())


def test_cache_key_and_atomic_layout(cache: Path):
    cfg = DemoConfig(**SMALL)
    src = DemoSource(cfg)
    assert src.root == corpus_dir(cfg) and f"v{GENERATOR_VERSION}" in src.root.name
    assert (src.root / "COMPLETE").exists()
    assert [p.name for p in cache.iterdir()] == [src.root.name]  # no temporary directory left behind
    mtime = (src.root / "WritingPrompts_comments.zst").stat().st_mtime_ns
    assert DemoSource(cfg).root == src.root  # reused, not rebuilt
    assert (src.root / "WritingPrompts_comments.zst").stat().st_mtime_ns == mtime
    assert corpus_dir(DemoConfig(**SMALL, quality_weight=1.0)) != src.root  # every knob is in the key


def test_every_record_is_synthetic_and_belongs_to_a_task(cache: Path):
    src = DemoSource(DemoConfig(**SMALL))
    assert src.synthetic
    posts = list(src.iter_posts())
    comments = list(src.iter_comments())
    assert posts and comments and all(r.synthetic for r in itertools.chain(posts, comments))
    subs = {p.subreddit for p in posts}
    assert subs == src.subreddits() and "WritingPrompts" in subs and len(subs) >= 5
    assert all(tasks_for_subreddit(s) for s in subs)
    times = [c.created_utc for c in comments if c.subreddit == "WritingPrompts"]
    assert times == sorted(times)  # dumps are ordered by creation time, not by thread


def test_spec_options(cache: Path, monkeypatch):
    import rmbench.sources.demo as demo

    small = demo.ensure_corpus(DemoConfig(**SMALL))
    asked = []
    monkeypatch.setattr(demo, "ensure_corpus", lambda cfg: asked.append(cfg) or small)  # no full-size build
    src = open_source("demo:seed=3,scale=2")
    assert isinstance(src, DemoSource) and asked == [DemoConfig(seed=3, scale=2)] and src.spec == "demo:seed=3,scale=2"
    assert open_source("demo").config == DemoConfig()
    with pytest.raises(SourceError, match="unknown demo option"):
        open_source("demo:size=2")
    with pytest.raises(SourceError, match="key=integer"):
        open_source("demo:seed=x")


def test_config_knobs_have_help():
    helps = DemoConfig().help()
    assert helps and all(h.strip() for h in helps.values())


@pytest.fixture(scope="module")
def default_demo(tmp_path_factory) -> DemoSource:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RMBENCH_CACHE", str(tmp_path_factory.mktemp("demo-cache")))
        return DemoSource()


def _candidate_pairs(src: DemoSource):
    """Every pair the default rules keep (before the per-post cap), with the drop reasons seen."""
    posts = {p.id: p for p in src.iter_posts()}
    threads, reasons = defaultdict(list), Counter()
    for c in src.iter_comments():
        if c.post_id in posts:
            threads[c.post_id].append(c)
        else:
            reasons["orphan"] += 1
    pairs = defaultdict(list)
    for pid, post in posts.items():
        task = tasks_for_subreddit(post.subreddit)[0]
        why = task.post_drop_reason(post)
        if why:
            reasons[why] += 1
            continue
        kept = []
        for c in threads[pid]:
            why = task.comment_drop_reason(c, post)
            reasons[why or "kept"] += 1
            if not why:
                kept.append(c)
        for a, b in itertools.combinations(kept, 2):
            if a.score == b.score:
                continue
            chosen, rejected = (a, b) if a.score > b.score else (b, a)
            why = task.pair_drop_reason(chosen, rejected, post)
            reasons[why or "pair_kept"] += 1
            if not why:
                pairs[task.name].append((task, chosen, rejected))
    return pairs, reasons


def test_every_drop_rule_fires_on_the_demo(default_demo: DemoSource):
    _, reasons = _candidate_pairs(default_demo)
    expected = {"post_score_low", "post_not_self", "post_nsfw", "post_edited", "post_removed", "prompt_untagged",
                "not_top_level", "body_deleted", "author_deleted", "author_bot", "distinguished", "stickied",
                "post_author", "comment_edited", "score_missing", "comment_score_low", "too_short", "too_long",
                "score_ratio_low", "preferred_not_later", "orphan"}
    assert expected <= set(reasons), f"rules that never fired: {sorted(expected - set(reasons))}"


def test_confounds_and_quality_signal_are_planted(default_demo: DemoSource):
    pairs, _ = _candidate_pairs(default_demo)
    sloppy = re.compile(r"\b(idk|lol|kinda|stuff|whatever|tbh|i guess)\b")

    def rate(rows, pick) -> float:
        return sum(pick(c, r) for _, c, r in rows) / len(rows)

    def sloppiness(text: str) -> float:
        return len(sloppy.findall(text)) / len(text)

    def cleaner(c, r) -> float:  # a tie is a coin flip
        a, b = sloppiness(c.body), sloppiness(r.body)
        return 1.0 if a < b else 0.5 if a == b else 0.0

    longer = lambda c, r: len(c.body) > len(r.body)  # noqa: E731
    for name, rows in pairs.items():
        hard = [(t, c, r) for t, c, r in rows if t.is_hard(c, r)]
        assert len(rows) > 200 and len(hard) > 50, name
        # Longer comments collect more votes: "longer wins" beats chance on all pairs, but
        # not on the hard ones, whose lengths are close.
        assert rate(rows, longer) > 0.55, name
        assert rate(hard, longer) < rate(rows, longer) - 0.04, name
        # The text carries the quality that earned the votes, in every subreddit.
        assert rate(rows, cleaner) > 0.65 and rate(hard, cleaner) > 0.65, name
    wp_stories = [len(c.body) for _, c, _ in pairs["writingprompts"]]
    assert min(wp_stories) >= 500 and max(wp_stories) <= DemoConfig().story_chars[1]


def test_sentence_banks_do_not_leak_quality_through_length():
    import random

    rng = random.Random(0)
    for sub in ("WritingPrompts",) + DemoConfig().other_subreddits:
        good = sum(len(demo_text.sentence(sub, True, rng)) for _ in range(400)) / 400
        bad = sum(len(demo_text.sentence(sub, False, rng)) for _ in range(400)) / 400
        assert abs(good - bad) / good < 0.15, sub
