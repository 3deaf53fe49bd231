"""Every pairing and confounder rule: a tiny thread it must keep, and one it must drop.

The engine is driven through the one-thread oracle (the ``pair_thread`` fixture of
tests/prepare/conftest.py: post rules, comment rules, then pairs, as ``prepare`` applies
them in its stages), so these tests check the rules with the drop reason the manifest counts.
"""

from __future__ import annotations

import dataclasses

import pytest

from rmbench.prepare.dedup import normalize_text, response_hash, text_hash
from rmbench.prepare.pair import TaskStats, pair_kept, prompt_of
from rmbench.records import Comment, Post
from rmbench.registry import get_task
from rmbench.task import RedditTask

SCIENCE = get_task("askscience")
T0 = 1_600_000_000


def post(**kw) -> Post:
    base = dict(id="p1", subreddit="askscience", title="Why is the sky blue?", selftext="Asking for a friend.",
                created_utc=T0, author="op", score=50, is_self=True, over_18=False, edited=False)
    base.update(kw)
    return Post(**base)


def com(cid: str, score: int | None, dt: int, body: str | None = None, **kw) -> Comment:
    base = dict(id=cid, post_id="p1", parent_id="t3_p1", subreddit="askscience",
                body=body if body is not None else f"Rayleigh scattering, says {cid}.",
                created_utc=T0 + dt, author=f"user_{cid}", score=score, edited=False)
    base.update(kw)
    return Comment(**base)


@pytest.fixture
def run(pair_thread):
    """``run(task, post, comments, split="train", all_hard=False) -> (rows, stats)``, the
    bookkeeping identities checked; the all_hard copies only with ``all_hard``."""
    def run(task, p, comments, split="train", all_hard=False):
        stats = TaskStats()
        rows = pair_thread(task, p, comments, split, stats)
        stats.check()
        return [r for r in rows if all_hard or r.split != "all_hard"], stats
    return run


def good_pair():
    """A pair every default rule keeps: chosen later, 3x the score."""
    return [com("a", 30, 600), com("b", 10, 60)]


def with_rules(**kw) -> RedditTask:
    return dataclasses.replace(SCIENCE, **kw)


# -- post rules -----------------------------------------------------------------------------
@pytest.mark.parametrize("field,keep,drop,reason", [
    ("score", 10, 9, "post_score_low"),
    ("is_self", True, False, "post_not_self"),
    ("over_18", False, True, "post_nsfw"),
    ("edited", False, True, "post_edited"),
    ("removed_by_category", None, "moderator", "post_removed"),
    ("selftext", "fine", "[removed]", "post_removed"),
])
def test_post_rules(field, keep, drop, reason, run):
    rows, stats = run(SCIENCE, post(**{field: keep}), good_pair())
    assert len(rows) == 1 and stats.posts_kept == 1
    rows, stats = run(SCIENCE, post(**{field: drop}), good_pair())
    assert rows == [] and stats.posts_dropped == {reason: 1}
    assert stats.comments_dropped == {"post_dropped": 2}


def test_unknown_post_fields_pass(run):
    """Old dumps lack score/is_self/over_18/edited: unknown is not a reason to drop."""
    rows, _ = run(SCIENCE, post(score=None, is_self=None, over_18=None, edited=None), good_pair())
    assert len(rows) == 1


def test_post_rule_parameters_switch_rules_off(run):
    link_nsfw_edited = post(is_self=False, over_18=True, edited=True, score=1)
    relaxed = with_rules(require_self_post=False, allow_nsfw=True, allow_edited_post=True, min_post_score=0)
    assert len(run(relaxed, link_nsfw_edited, good_pair())[0]) == 1
    assert run(SCIENCE, link_nsfw_edited, good_pair())[0] == []


# -- comment rules ----------------------------------------------------------------------------
@pytest.mark.parametrize("change,reason", [
    (dict(parent_id="t1_x"), "not_top_level"),
    (dict(body="[deleted]"), "body_deleted"),
    (dict(body="[removed]"), "body_deleted"),
    (dict(body="   "), "body_deleted"),
    (dict(author=None), "author_deleted"),
    (dict(author="[deleted]"), "author_deleted"),
    (dict(author="automoderator"), "author_bot"),
    (dict(author="RemindMeBot"), "author_bot"),
    (dict(distinguished="moderator"), "distinguished"),
    (dict(stickied=True), "stickied"),
    (dict(is_submitter=True), "post_author"),
    (dict(author="op"), "post_author"),
    (dict(edited=True), "comment_edited"),
    (dict(score=None), "score_missing"),
    (dict(score=1), "comment_score_low"),
    (dict(body="x" * 10_001), "too_long"),
])
def test_comment_rules_drop(change, reason, run):
    rejected = com("b", 10, 60)
    rejected = dataclasses.replace(rejected, **change)
    rows, stats = run(SCIENCE, post(), [com("a", 30, 600), rejected])
    assert rows == []
    assert stats.comments_dropped == {reason: 1} and stats.comments_kept == 1


def test_comment_rules_keep_the_well_formed_and_the_unknown(run):
    """distinguished/stickied/edited/is_submitter unknown (None) pass; a score of exactly 2 passes."""
    keep = [com("a", 30, 600, stickied=None, distinguished=None, edited=None, is_submitter=None),
            com("b", 2, 60, body="x" * 10_000, stickied=False, is_submitter=False)]
    rows, stats = run(with_rules(min_score_ratio=2.0), post(), keep)
    assert len(rows) == 1 and stats.comments_kept == 2


def test_comment_length_bounds(run):
    task = with_rules(min_response_chars=5, max_response_chars=20)
    rows, stats = run(task, post(), [com("a", 30, 600, body="12345"), com("b", 10, 60, body="1234")])
    assert rows == [] and stats.comments_dropped == {"too_short": 1}
    rows, _ = run(task, post(), [com("a", 30, 600, body="12345"), com("b", 10, 60, body="x" * 20)])
    assert len(rows) == 1


def test_comment_rule_parameters_switch_rules_off(run):
    task = with_rules(top_level_only=False, allow_edited_comment=True, drop_distinguished=False,
                      drop_stickied=False, drop_post_author=False, min_comment_score=1, bot_authors=(),
                      excluded_authors=())
    odd = com("b", 1, 60, parent_id="t1_q", edited=True, distinguished="moderator", stickied=True,
              author="AutoModerator", is_submitter=True)
    assert len(run(task, post(), [com("a", 30, 600), odd])[0]) == 1
    assert run(SCIENCE, post(), [com("a", 30, 600), odd])[0] == []


# -- pair rules -------------------------------------------------------------------------------
def test_score_ratio(run):
    rows, _ = run(SCIENCE, post(), [com("a", 20, 600), com("b", 10, 60)])
    assert len(rows) == 1 and rows[0].row["score_ratio"] == 2.0
    rows, stats = run(SCIENCE, post(), [com("a", 19, 600), com("b", 10, 60)])
    assert rows == [] and stats.pairs_dropped == {"score_ratio_low": 1}


def test_preferred_later(run):
    rows, stats = run(SCIENCE, post(), [com("a", 30, 60), com("b", 10, 600)])
    assert rows == [] and stats.pairs_dropped == {"preferred_not_later": 1}
    rows, stats = run(SCIENCE, post(), [com("a", 30, 60), com("b", 10, 60)])
    assert rows == [] and stats.pairs_dropped == {"preferred_not_later": 1}  # same second is not later
    assert len(run(with_rules(preferred_later=False), post(), [com("a", 30, 60), com("b", 10, 600)])[0]) == 1


def test_score_tie_is_counted_and_chosen_is_the_higher_score(run):
    rows, stats = run(SCIENCE, post(), [com("a", 10, 600), com("b", 10, 60)])
    assert rows == [] and stats.pairs_dropped == {"score_tie": 1} and stats.candidates == 1
    rows, _ = run(SCIENCE, post(), [com("b", 10, 60), com("a", 30, 600)])  # input order does not matter
    assert rows[0].row["chosen_id"] == "a" and rows[0].row["rejected_id"] == "b"
    assert rows[0].pair_id == "p1:a:b"


def _ladder(n: int) -> list[Comment]:
    """n comments, each later one scoring 3x the one before: every pair passes the rules."""
    return [com(f"c{i}", 2 * 3 ** i, 60 * (i + 1), body=f"answer number {i:03d}") for i in range(n)]


def test_cap_is_deterministic_and_counted(run):
    task = with_rules(max_pairs_per_post=5)
    rows, stats = run(task, post(), _ladder(5))  # 10 candidate pairs, all valid
    assert stats.candidates == 10 and stats.capped == 5 and len(rows) == 5
    again, _ = run(task, post(), list(reversed(_ladder(5))))
    assert [r.pair_id for r in rows] == [r.pair_id for r in again]
    rows, stats = run(with_rules(max_pairs_per_post=10), post(), _ladder(5))
    assert len(rows) == 10 and stats.capped == 0


# -- confounder fields and test_hard -----------------------------------------------------------
def test_confounder_fields(run):
    rows, _ = run(SCIENCE, post(), [com("a", 30, 600, body="x" * 300), com("b", 10, 60, body="y" * 100)])
    r = rows[0].row
    assert r["chosen_delay_s"] == 600 and r["rejected_delay_s"] == 60 and r["time_gap_s"] == 540
    assert r["score_ratio"] == 3.0 and r["length_ratio"] == 3.0
    assert r["chosen_created_utc"] == T0 + 600 and r["rejected_created_utc"] == T0 + 60
    assert r["prompt"] == "Why is the sky blue?\n\nAsking for a friend." and r["cross_task_dup"] is False
    assert r["synthetic"] is False and r["task"] == "askscience" and r["split"] == "train"


def test_delay_unknown_without_post_time(run):
    rows, _ = run(SCIENCE, post(created_utc=0), good_pair())
    assert rows[0].row["chosen_delay_s"] is None and rows[0].row["time_gap_s"] == 540


def test_prompt_without_selftext_is_the_title():
    assert prompt_of(post(selftext="")) == "Why is the sky blue?"


def _hard_pair(len_a=100, len_b=100, gap=600):
    return [com("a", 30, 60 + gap, body="a" * len_a), com("b", 10, 60, body="b" * len_b)]


def test_test_hard_bounds(run):
    rows, stats = run(SCIENCE, post(), _hard_pair(125, 100, 3600), split="test")
    assert [r.split for r in rows] == ["test", "test_hard"] and stats.split_pairs["test_hard"] == 1
    rows, _ = run(SCIENCE, post(), _hard_pair(126, 100, 600), split="test")
    assert [r.split for r in rows] == ["test"]  # length ratio over 1.25
    rows, _ = run(SCIENCE, post(), _hard_pair(100, 100, 3601), split="test")
    assert [r.split for r in rows] == ["test"]  # more than an hour apart
    rows, _ = run(with_rules(hard_max_time_gap_s=7200), post(), _hard_pair(100, 100, 3601), split="test")
    assert [r.split for r in rows] == ["test", "test_hard"]


def test_test_hard_only_on_test_posts_and_before_the_cap(run):
    ladder = [com(f"c{i}", 2 * 3 ** i, 60 * (i + 1), body=f"answer {i:03d}") for i in range(6)]  # 15 hard pairs
    rows, stats = run(with_rules(max_pairs_per_post=2, max_hard_pairs_per_post=0), post(), ladder, split="test")
    assert sum(r.split == "test" for r in rows) == 2
    assert sum(r.split == "test_hard" for r in rows) == 15 and stats.capped == 13
    rows, _ = run(SCIENCE, post(), ladder, split="validation")
    assert all(r.split == "validation" for r in rows)


def test_all_hard_covers_every_post_up_to_its_own_cap(run):
    ladder = [com(f"c{i}", 2 * 3 ** i, 60 * (i + 1), body=f"answer {i:03d}") for i in range(6)]  # 15 hard pairs
    for split in ("train", "validation", "test"):
        rows, stats = run(with_rules(max_pairs_per_post=2, max_hard_pairs_per_post=0), post(), ladder,
                          split=split, all_hard=True)
        hard = [r for r in rows if r.split == "all_hard"]
        assert len(hard) == 15 and stats.split_pairs["all_hard"] == 15 and stats.split_posts["all_hard"] == 1
        assert all(r.row["split"] == "all_hard" for r in hard)
        assert sum(r.split == "test_hard" for r in rows) == (15 if split == "test" else 0)
        assert stats.pairs_kept == 2  # the hard copies are not extra kept pairs


def test_hard_splits_keep_the_smallest_hashes_up_to_their_own_cap(run):
    """A big thread counts max_hard_pairs_per_post hard pairs, chosen by the stable pair hash
    (not by comment order), the same ones in all_hard and test_hard; the manifest's counts
    keep the candidates before the cap."""
    from rmbench.prepare.splits import pair_order_key

    ladder = [com(f"c{i}", 2 * 3 ** i, 60 * (i + 1), body=f"answer {i:03d}") for i in range(6)]  # 15 hard pairs
    rows, stats = run(with_rules(max_hard_pairs_per_post=4), post(), ladder, split="test", all_hard=True)
    every = sorted((r for r in run(with_rules(max_hard_pairs_per_post=0), post(), ladder, all_hard=True)[0]
                    if r.split == "all_hard"), key=lambda r: pair_order_key(r.pair_id))
    want = sorted(r.pair_id for r in every[:4])
    assert sorted(r.pair_id for r in rows if r.split == "all_hard") == want
    assert sorted(r.pair_id for r in rows if r.split == "test_hard") == want
    assert (stats.hard_candidates, stats.hard_capped, stats.hard_posts_capped) == (15, 11, 1)
    assert stats.split_pairs["all_hard"] == 4 and stats.split_posts["all_hard"] == 1
    # the order comments arrive in changes nothing
    again, _ = run(with_rules(max_hard_pairs_per_post=4), post(), ladder[::-1], split="test", all_hard=True)
    assert sorted(r.pair_id for r in again) == sorted(r.pair_id for r in rows)
    # a cap at least max_pairs_per_post keeps every hard pair of the capped test split in test_hard
    rows, _ = run(with_rules(max_hard_pairs_per_post=4, max_pairs_per_post=3), post(), ladder, split="test")
    assert {r.pair_id for r in rows if r.split == "test"} <= {r.pair_id for r in rows if r.split == "test_hard"}
    rows, stats = run(SCIENCE, post(), ladder[:4], split="train", all_hard=True)  # 6 hard pairs: under the cap
    assert sum(r.split == "all_hard" for r in rows) == 6 and stats.hard_capped == stats.hard_posts_capped == 0


def test_score_age_fields_and_min_score_age_rule(run):
    aged = [com("a", 30, 600, retrieved_utc=T0 + 600 + 86_400), com("b", 10, 60, retrieved_utc=T0 + 60 + 3_600)]
    rows, _ = run(SCIENCE, post(), aged)
    assert rows[0].row["chosen_score_age_s"] == 86_400 and rows[0].row["rejected_score_age_s"] == 3_600
    rows, stats = run(with_rules(min_score_age_s=7_200), post(), aged)
    assert rows == [] and stats.comments_dropped == {"score_too_young": 1}
    assert len(run(with_rules(min_score_age_s=3_600), post(), aged)[0]) == 1
    # unknown ages: null in the row, kept by the rule, and the manifest warns that it could not judge them
    from rmbench.prepare.pair import task_warnings

    rows, stats = run(with_rules(min_score_age_s=7_200), post(), good_pair())
    assert len(rows) == 1 and rows[0].row["chosen_score_age_s"] is None and stats.score_age_unknown == 2
    assert any("min_score_age_s" in w for w in task_warnings(with_rules(min_score_age_s=7_200), stats))
    assert stats.score_age_pairs == stats.young_score_pairs == 0  # unknown ages are neither


def test_pairs_with_a_score_read_too_soon_are_counted_and_warned_about(run):
    """A kept pair with a response whose score was read within two days of it (an Arctic Shift
    first read, a real-time Pushshift ingest) is counted; past a tenth of the pairs, the manifest warns."""
    from rmbench.prepare.pair import YOUNG_SCORE_S, task_warnings

    def thread(age_b: int):
        return [com("a", 30, 600, retrieved_utc=T0 + 600 + 30 * 86_400), com("b", 10, 60, retrieved_utc=T0 + 60 + age_b)]

    stats = TaskStats()
    for k in range(10):
        _, s = run(SCIENCE, post(), thread(YOUNG_SCORE_S - 1 if k == 0 else YOUNG_SCORE_S))
        stats.score_age_pairs += s.score_age_pairs
        stats.young_score_pairs += s.young_score_pairs
    assert (stats.score_age_pairs, stats.young_score_pairs) == (10, 1)
    assert not any("read within" in w for w in task_warnings(SCIENCE, stats))  # 10%: not past it
    stats.young_score_pairs = 2
    assert any("2 of 10 pairs (20%)" in w and "within 48 h" in w for w in task_warnings(SCIENCE, stats))


def test_short_and_emoji_replies_are_never_duplicates_of_each_other():
    # The old flag matched every "congrats" and every emoji-only reply (normalized to "").
    assert response_hash("Congrats!", "c1") != response_hash("congrats", "c2")
    assert response_hash("\U0001F389\U0001F389", "c1") != response_hash("\U0001F60A", "c2")
    assert response_hash("Congrats!", "c1") == response_hash("Congrats!", "c1")  # the same comment is itself
    long = "The committee will read your statement of purpose before anything else, so start there."
    assert response_hash(long, "c1") == response_hash(long.upper() + "!!", "c2")


# -- task overrides -------------------------------------------------------------------------------
WP = get_task("writingprompts")


def _story(cid, score, dt, n=600):
    return com(cid, score, dt, body=(f"{cid} word " * n)[:n], subreddit="WritingPrompts")  # two different stories


def test_writingprompts_tags(run):
    stories = [_story("a", 30, 600), _story("b", 10, 60)]
    for title in ("[WP] A dragon retires", "[wp] lower-case tag", "  [EU] Hogwarts, but", "[SP] short"):
        assert len(run(WP, post(title=title, subreddit="WritingPrompts"), stories)[0]) == 1, title
    for title in ("[OT] Meta thread", "A dragon retires", "[IP] image prompt"):
        rows, stats = run(WP, post(title=title, subreddit="WritingPrompts"), stories)
        assert rows == [] and stats.posts_dropped == {"prompt_untagged": 1}, title


def test_writingprompts_min_story_length_and_link_posts(run):
    p = post(title="[WP] x", subreddit="WritingPrompts", is_self=False, selftext="")
    rows, stats = run(WP, p, [_story("a", 30, 600, 500), _story("b", 10, 60, 499)])
    assert rows == [] and stats.comments_dropped == {"too_short": 1}
    assert len(run(WP, p, [_story("a", 30, 600, 500), _story("b", 10, 60, 500)])[0]) == 1


def test_changemyview_drops_deltabot(run):
    cmv = get_task("changemyview")
    bot = com("b", 10, 60, author="DeltaBot")
    rows, stats = run(cmv, post(), [com("a", 30, 600), bot])
    assert rows == [] and stats.comments_dropped == {"author_bot": 1}
    assert len(run(SCIENCE, post(), [com("a", 30, 600), bot])[0]) == 1  # only CMV knows DeltaBot


def test_removed_warning_threshold_per_task(run):
    from rmbench.prepare.pair import task_warnings

    removed = [com(f"r{i}", 5, 60, body="[removed]") for i in range(8)]
    comments = good_pair() + removed  # 80% removed
    hist = get_task("askhistorians")
    _, s_hist = run(hist, post(), comments)
    _, s_sci = run(SCIENCE, post(), comments)
    assert not any("[deleted]/[removed]" in w for w in task_warnings(hist, s_hist))
    assert any("[deleted]/[removed]" in w for w in task_warnings(SCIENCE, s_sci))


def test_small_test_hard_is_warned(run):
    from rmbench.prepare.pair import task_warnings

    _, stats = run(SCIENCE, post(), _hard_pair(), split="test")
    assert any("test_hard has 1 pair, fewer" in w for w in task_warnings(SCIENCE, stats))
    assert not any("test_hard" in w for w in task_warnings(with_rules(hard_min_pairs=1), stats))


def test_normalized_text():
    assert normalize_text("  Hello,   WORLD!\n") == "hello world"
    assert text_hash("Hello, world") == text_hash("hello   world!!") != text_hash("hello there")


def test_normalized_text_deletes_what_its_definition_names_every_bmp_code_point_included():
    """Lower case, then every punctuation mark and symbol (P*, S*) and every astral character
    deleted, whitespace collapsed: on both paths (ASCII bytes, and bytes + regex), lone
    surrogates included. Fingerprints hang on this key, so it may never drift."""
    import unicodedata

    def reference(text: str) -> str:
        low = text.lower()
        return " ".join("".join(ch for ch in low if ord(ch) < 0x10000 and unicodedata.category(ch)[0] not in "PS"
                                ).split())

    texts = ["".join(map(chr, range(lo, lo + 256))) for lo in range(0, 0x10000, 256)]
    texts += ["".join(map(chr, range(128))), "Caf\u00e9, \u201cquoted\u201d \U0001F600 ok!", "\ud835\udc00 \ud800x",
              "A\u0301 \u00c9T\u00c9 \u2014 fin\u3002", "\x1cx\x1dy\x1e z\x1f"]
    for text in texts:
        assert normalize_text(text) == reference(text), repr(text[:20])


# Every rule parameter of RedditTask and the overrides must be exercised above: a new rule
# without a test fails here.
COVERED = {
    "min_post_score", "require_self_post", "allow_nsfw", "allow_edited_post", "top_level_only",
    "min_comment_score", "allow_edited_comment", "excluded_authors", "bot_authors", "drop_distinguished",
    "drop_stickied", "drop_post_author", "min_response_chars", "max_response_chars", "min_score_ratio",
    "preferred_later", "max_pairs_per_post", "max_hard_pairs_per_post", "hard_max_length_ratio",
    "hard_max_time_gap_s", "hard_min_pairs",
    "drop_indistinguishable",  # tests/prepare/test_surface.py
    "removed_warning_fraction", "prompt_tags", "min_score_age_s",
}
NOT_RULES = {"name", "version", "description", "subreddits"}


@pytest.mark.parametrize("task_name", ["askscience", "writingprompts", "changemyview", "askhistorians"])
def test_every_rule_parameter_is_covered(task_name):
    fields = {f.name for f in dataclasses.fields(get_task(task_name))}
    assert fields - NOT_RULES <= COVERED, f"rules without a keep/drop test: {fields - NOT_RULES - COVERED}"


def test_megathread_cap_picks_the_smallest_hashes(run):
    """A post with 400 kept top-level comments (79,800 candidates): the cap keeps exactly
    the surviving pairs with the smallest stable hash, and every candidate is counted."""
    import random

    from rmbench.prepare.splits import pair_order_key

    rnd = random.Random(7)
    comments = [com(f"m{i}", rnd.randint(2, 500), rnd.randint(0, 86_400)) for i in range(400)]
    rows, stats = run(SCIENCE, post(), comments, split="test")
    assert stats.candidates == 400 * 399 // 2
    survivors = [f"p1:{a.id}:{b.id}" for a in comments for b in comments
                 if a.score > b.score and SCIENCE.pair_drop_reason(a, b, post()) is None]
    expected = sorted(survivors, key=lambda pid: pair_order_key(pid))[:SCIENCE.max_pairs_per_post]
    assert sorted(r.pair_id for r in rows if r.split == "test") == sorted(expected)
    assert stats.capped == len(survivors) - SCIENCE.max_pairs_per_post
    hard = {r.pair_id for r in rows if r.split == "test_hard"}
    assert hard and hard <= set(survivors)


def test_row_line_is_row_json_of_the_row(run):
    """Each row's line is built from text escaped once per post and comment; it must be
    exactly what the one encoder writes for the row (quotes, backslashes, controls,
    non-ASCII, surrogates, unknown times, scores <= 0, hard copies of a test post)."""
    from rmbench.prepare.pair import row_json

    bodies = ['say "hi"\\ now\n\ttab', "caf\u00e9 \u2603 \U0001F600 \x00\x1f\u2028", "\ud800 lone", "plain " * 30]
    comments = [com(f"c{k}", 40 - 9 * k, 600 - 60 * k, body=b) for k, b in enumerate(bodies)]
    comments.append(com("z", 0, 30, body="zero score \u00e9"))
    for p in (post(selftext='a "quoted" \u00fc\nselftext'), post(created_utc=0, selftext="", synthetic=True)):
        task = with_rules(min_score_ratio=0.0, min_comment_score=-100, preferred_later=False)
        rows, _ = run(task, p, list(comments), split="test", all_hard=True)
        assert rows and {r.split for r in rows} >= {"test", "all_hard"}
        for r in rows:
            assert r.line == row_json(r.row)


def test_judge_replies_counts_as_judge_comments_would():
    """Replies judged in bulk count exactly as one judge_comments call per reply: dropped
    posts, wiped bodies, unknown score snapshots with and without min_score_age_s."""
    from rmbench.prepare.pair import first_rule_drops_replies, judge_comments, judge_replies

    tasks = [SCIENCE, with_rules(min_score_age_s=3_600)]
    assert all(first_rule_drops_replies(t) for t in tasks)
    assert not first_rule_drops_replies(with_rules(top_level_only=False))
    for reasons in ((None, None), ("post_score_low", None), (None, "post_nsfw")):
        for body in ("[deleted]", " [removed] ", "a real reply"):
            for retrieved in (None, T0 + 86_400):
                reply = com("r", 5, 60, body=body, parent_id="t1_a", retrieved_utc=retrieved)
                one = [(t, TaskStats()) for t in tasks]
                for _ in range(3):
                    assert judge_comments(one, reply, post(), reasons) == 0
                bulk = [(t, TaskStats()) for t in tasks]
                judge_replies(bulk, 3, reasons, body.strip() in ("[deleted]", "[removed]"), retrieved is None)
                assert [s for _, s in bulk] == [s for _, s in one]


class _OwnPairRule(RedditTask):
    """RedditTask's pair rules and hard test through overrides: the engine asks them about
    every pair (and every survivor), instead of deciding rows and hardness itself."""

    def pair_drop_reason(self, chosen, rejected, post):
        return super().pair_drop_reason(chosen, rejected, post)

    def is_hard(self, chosen, rejected):
        return super().is_hard(chosen, rejected)


@pytest.mark.parametrize("ratio", [0, 1, 1.5, 2.0, 3, float("inf")])
@pytest.mark.parametrize("later", [True, False])
def test_pair_rules_by_row_match_the_rule_asked_per_pair(ratio, later, run):
    """RedditTask's own pair rules are decided a row of the candidate triangle at a time, and
    its own is_hard inline; the rows and every count are those of the same rules asked pair by pair."""
    import random

    rnd = random.Random(f"{ratio}-{later}")
    fields = {f.name: getattr(SCIENCE, f.name) for f in dataclasses.fields(SCIENCE) if f.init}
    fields.update(min_score_ratio=ratio, preferred_later=later, min_comment_score=-50, max_pairs_per_post=7,
                  min_response_chars=0)
    by_row, per_pair = RedditTask(**fields), _OwnPairRule(**fields)
    for trial in range(25):
        comments = [com(f"c{k}", rnd.choice([-3, 0, 1, 2, 3, 5, 8, 8, 13, 40, 41]), rnd.randrange(0, 7200),
                        body=rnd.choice(["same", "Same!", f"reply {k}", "x" * rnd.randrange(0, 12)]))
                    for k in range(rnd.randrange(2, 14))]
        split = rnd.choice(["train", "test"])
        a, sa = run(by_row, post(), [dataclasses.replace(c) for c in comments], split, all_hard=True)
        b, sb = run(per_pair, post(), [dataclasses.replace(c) for c in comments], split, all_hard=True)
        assert [(r.split, r.line) for r in a] == [(r.split, r.line) for r in b]
        assert sa == sb
        # The engine alone, past the comment rules: empty bodies too (length 0 counts as 1).
        a_stats, b_stats = TaskStats(), TaskStats()
        a = pair_kept(by_row, post(), [dataclasses.replace(c) for c in comments], split, a_stats)
        b = pair_kept(per_pair, post(), [dataclasses.replace(c) for c in comments], split, b_stats)
        assert [(r.split, r.line) for r in a] == [(r.split, r.line) for r in b] and a_stats == b_stats
