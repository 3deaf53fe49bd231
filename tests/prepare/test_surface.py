"""Pairs nobody can tell apart: the surface key, the ``indistinguishable`` pair rule, and
both on real short replies read from the shared dumps (never copied into the repository)."""

from __future__ import annotations

import dataclasses
from collections import defaultdict

import pytest

from rmbench.prepare.pair import TaskStats
from rmbench.prepare.surface import indistinguishable, spaceless_key, surface_key
from rmbench.records import Comment, Post
from rmbench.registry import get_task

SCIENCE = get_task("askscience")
T0 = 1_600_000_000


@pytest.mark.parametrize("a, b", [
    ("thanks", "Thanks!"), ("F", "f"), ("Congrats!", "congrats"), ("Yes.", "yes"),
    ("  Good   luck!\n", "good luck"), ("I'm really sorry.", "I\u2019m really sorry."),  # curly apostrophe
    ("Congrats \U0001F49E", "Congrats!!!"),  # an emoji after the word
    ("\U0001F389\U0001F389", "\U0001F60A"),  # two emoji-only replies: both empty
    ("\u2764\ufe0f", "\U0001F44D\U0001F3FD"),  # heart + emoji presentation selector; thumbs up + skin tone
    ("\U0001F468\u200d\U0001F469\u200d\U0001F467", "\U0001F1FA\U0001F1F8"),  # ZWJ family; flag
    ("1\ufe0f\u20e3", "1"),  # keycap: digit, selector, enclosing mark
    ("\uff26", "f"),  # full-width F
    ("Stra\u00dfe", "STRASSE"),  # casefold, not lower
    ("...", "!!!"), ("", " \t"),  # punctuation-only and empty: nothing to tell apart
    ("=)) :)", ":-("),  # emoticons are punctuation and symbols
])
def test_equal_up_to_case_whitespace_punctuation_and_emoji(a, b):
    assert indistinguishable(a, b) and surface_key(a) == surface_key(b)


@pytest.mark.parametrize("a, b", [
    ("yes", "no"), ("thank you", "thankyou"), ("caf\u00e9", "cafe"),  # accents are letters, not decoration
    ("F", "F2"), ("Congrats!", "Congrats, doctor!"), ("\u0928\u092e\u0938\u094d\u0924\u0947", "\u0928\u092e\u0938\u0924"),
])
def test_different_words_stay_different(a, b):
    assert not indistinguishable(a, b)


def test_ascii_and_unicode_paths_agree():
    for text in ("Thanks!!  A LOT\n", "a-b_c (d) [e] {f} ~g~ `h`", "tab\there\x00\x7f"):
        assert surface_key(text) == surface_key(text + "\u2764")  # the second takes the unicode path


def test_spaceless_key_is_the_surface_key_without_its_spaces():
    """Equal surface keys have equal spaceless keys: the engine's cheap first comparison
    never calls two indistinguishable replies different."""
    ascii_all = "".join(map(chr, range(128)))
    texts = [ascii_all, ascii_all + "\u2764", "a\x1cb\x1dc\x1ed\x1fe\x0bf\x0cg", "thank you", "thankyou",
             "  Good   luck!\n", "Stra\u00dfe x", "\u00a0non\u2003breaking\u2028space\u3000", "\uff26\uff26 ok", ""]
    texts += [chr(cp) + " w" for cp in range(0, 0x3000, 7)]
    for text in texts:
        assert spaceless_key(text) == surface_key(text).replace(" ", "")


def test_replies_equal_but_for_their_spaces_are_not_indistinguishable(pair_thread):
    stats = TaskStats()
    rows = pair_thread(SCIENCE, _post(), [_com("a", 30, 600, "thank you"), _com("b", 10, 60, "Thankyou!")], "train", stats)
    assert [r.split for r in rows] == ["train", "all_hard"] and "indistinguishable" not in stats.pairs_dropped


def test_unicode_path_deletes_what_the_per_character_table_deletes():
    """The regex over the Basic Multilingual Plane and the table for the astral planes
    delete exactly the characters the definition names, every BMP code point included."""
    import unicodedata

    from rmbench.prepare.surface import _dropped

    def reference(text: str) -> str:
        norm = unicodedata.normalize("NFKC", text).casefold()
        return " ".join("".join(ch for ch in norm if not _dropped(ord(ch))).split())

    chunks = ["".join(map(chr, range(lo, lo + 256))) for lo in range(0, 0x10000, 256)]
    chunks += ["x\U0001F600 y\U0001D400\U000E0100 z\U00020000\U0010FFFF", "\u00e9\u0301 \u200d\u20e3 \ufe0f"]
    for text in chunks:
        assert surface_key(text) == reference(text)
        assert spaceless_key(text) == reference(text).replace(" ", "")


# -- the pair rule -------------------------------------------------------------------------------
def _post(**kw) -> Post:
    base = dict(id="p1", subreddit="askscience", title="Why?", selftext="", created_utc=T0, author="op",
                score=50, is_self=True, over_18=False, edited=False)
    return Post(**{**base, **kw})


def _com(cid: str, score: int, dt: int, body: str, post_id: str = "p1") -> Comment:
    return Comment(id=cid, post_id=post_id, parent_id=f"t3_{post_id}", subreddit="askscience", body=body,
                   created_utc=T0 + dt, author=f"user_{cid}", score=score, edited=False)


def test_the_rule_drops_the_pair_under_its_own_reason_hard_splits_included(pair_thread):
    thread = [_com("a", 30, 600, "Thanks!"), _com("b", 10, 60, "thanks")]  # a hard pair too
    stats = TaskStats()
    rows = pair_thread(SCIENCE, _post(), thread, "test", stats)
    stats.check()
    assert rows == [] and stats.pairs_dropped == {"indistinguishable": 1} and stats.hard_candidates == 0
    kept = pair_thread(dataclasses.replace(SCIENCE, drop_indistinguishable=False), _post(), thread, "test", TaskStats())
    assert sorted(r.split for r in kept) == ["all_hard", "test", "test_hard"]


def test_a_pair_the_task_drops_anyway_keeps_the_tasks_reason(pair_thread):
    stats = TaskStats()
    pair_thread(SCIENCE, _post(), [_com("a", 30, 60, "Thanks!"), _com("b", 10, 600, "thanks")], "train", stats)
    assert stats.pairs_dropped == {"preferred_not_later": 1}  # the count says what the rule alone removed


# -- real short replies -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_lookalikes(shared_dumps):
    """Groups of 2+ top-level replies to one real post whose texts differ but whose surface
    keys match ("Congrats!!" / "CONGRATS!!!"), read from the dumps on every run."""
    from rmbench.sources import open_source

    src = open_source(str(shared_dumps))
    posts = {p.id: p for p in src.iter_posts()}
    groups: dict[tuple, list[Comment]] = defaultdict(list)
    for c in src.iter_comments():
        if c.top_level and c.score is not None and len(c.body) < 40 and c.body.strip() not in ("[deleted]", "[removed]"):
            groups[(c.post_id, surface_key(c.body))].append(c)
    out = [(posts[pid], cs) for (pid, _), cs in groups.items()
           if pid in posts and len({c.body for c in cs}) > 1 and len({c.score for c in cs}) > 1]
    if len(out) < 20:
        pytest.skip(f"the dumps at {shared_dumps} hold only {len(out)} threads with look-alike replies")
    return out


@pytest.mark.slow
def test_real_lookalike_replies_are_never_paired(real_lookalikes, pair_thread):
    # Every other rule relaxed so that only the new one can drop a pair of these replies.
    loose = dataclasses.replace(SCIENCE, min_score_ratio=1.0, preferred_later=False, min_comment_score=-10**6,
                                min_post_score=-10**6, drop_post_author=False, allow_edited_comment=True,
                                allow_edited_post=True, require_self_post=False, allow_nsfw=True)
    off = dataclasses.replace(loose, drop_indistinguishable=False)
    dropped = without = 0
    for post, replies in real_lookalikes:
        post = dataclasses.replace(post, removed_by_category=None, selftext="kept")
        replies = [dataclasses.replace(c, subreddit="askscience", stickied=False, distinguished=None) for c in replies]
        post = dataclasses.replace(post, subreddit="askscience")
        stats = TaskStats()
        assert pair_thread(loose, post, replies, "test", stats) == [], [c.body for c in replies]
        stats.check()
        dropped += stats.pairs_dropped["indistinguishable"]
        without += len([r for r in pair_thread(off, post, replies, "test", TaskStats()) if r.split == "test"])
    assert dropped >= len(real_lookalikes) and without > 0  # each thread had at least one such pair
