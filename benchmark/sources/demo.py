"""The demo corpus: generated, seeded Reddit threads written in the dump format, then read
back through the same dump reader as real data, with ``synthetic=True`` on every record.

Each top-level comment has a latent quality q in [0, 1]: its text is a mix of concrete and
sloppy sentences in proportion to q (``demo_text``), with the same markers in every
subreddit, so a quality signal learned on the other subreddits transfers to WritingPrompts.
Its score plants the two confounds the pairing rules exist for:

    log(score) = mu + quality_weight*(q - 0.5) + length_weight*log(len/ref)
                 - earliness_weight*log(1 + hours after post) + noise

Longer and earlier comments collect more votes, so on kept pairs "the longer one wins"
beats chance on ``test`` yet not on ``test_hard`` (similar lengths), and "later yet
higher" makes the earliness confound work against the label.

Every drop rule has something to drop: low-score, link, NSFW, edited, removed and
untagged posts; deleted/removed bodies, [deleted] authors, AutoModerator and other bots,
AutoModerator's stickied notice, human moderators' (distinguished) answers, stickied
non-mod comments, the post author, edited comments,
replies, null scores, WritingPrompts replies too short to be stories, rare overlong
comments, and comments whose post is missing from the dump.

Files land in the cache root (``rmbench.cache``) under a name holding the
seed, scale, ``GENERATOR_VERSION`` and a hash of every knob; built in a temporary directory and renamed into
place, so a half-written corpus is never used. Records are identical on every machine
(stdlib ``random.Random``); the compressed bytes are identical for one libzstd version.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import math
import random
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import zstandard

from rmbench.atomic import atomic_dir
from rmbench.cache import cache_root
from rmbench.errors import OutputExistsError
from rmbench.fields import opt
from rmbench.sources import demo_text as text
from rmbench.sources.dumps import DumpSource

GENERATOR_VERSION = "7"  # bump whenever generated content changes: part of the cache key
START_UTC = 1609459200  # 2021-01-01: demo threads are spread over the following years
OTHER_SUBS = ("AskAcademia", "GradSchool", "explainlikeimfive", "AskCulinary", "askscience")


@dataclass(frozen=True)
class DemoConfig:
    seed: int = opt(0, "seed of random.Random; a different seed gives a different corpus")
    scale: int = opt(1, "multiplies the number of posts (scale=4 is the benchmarks' 4x corpus)")
    writingprompts_posts: int = opt(400, "WritingPrompts posts at scale 1")
    posts_per_other_subreddit: int = opt(400, "posts per other subreddit at scale 1")
    other_subreddits: tuple[str, ...] = opt(OTHER_SUBS, "registered task subreddits besides WritingPrompts")
    top_level_range: tuple[int, int] = opt((10, 18), "top-level answers per post (min, max)")
    quality_weight: float = opt(4.0, "log-score gained from worst (q=0) to best (q=1) quality")
    length_weight: float = opt(1.5, "log-score per log-unit of length: the length confound")
    earliness_weight: float = opt(0.8, "log-score lost per log(1 + hours after post): the earliness confound")
    score_noise: float = opt(0.5, "standard deviation of the log-score noise")
    median_score: float = opt(20.0, "typical score of an average comment posted at once")
    other_chars: tuple[int, int] = opt((70, 400), "answer length range in other subreddits, characters")
    story_chars: tuple[int, int] = opt((500, 1200), "story length range in WritingPrompts, characters")
    burst_fraction: float = opt(0.75, "share of answers in the first hours' burst (the rest trickle in over a day)")
    burst_hours: float = opt(1.5, "median delay of burst answers, hours")
    low_score_post_fraction: float = opt(0.1, "posts under the score threshold of 10")
    odd_post_fraction: float = opt(0.02, "each of: link, NSFW, edited, removed posts")
    untagged_prompt_fraction: float = opt(0.06, "WritingPrompts posts without a story tag ([OT], [MP], none)")
    special_comment_fraction: float = opt(0.015, "each kind of rule-breaking comment (deleted, bot, edited, ...)")
    reply_fraction: float = opt(0.25, "replies (not top-level) per top-level answer")
    orphan_comments: int = opt(20, "comments whose post is missing from the dump, at scale 1")

    def help(self) -> dict[str, str]:
        return {f.name: f.metadata["help"] for f in fields(self)}


def corpus_dir(cfg: DemoConfig) -> Path:
    # Every knob is in the key (not only seed and scale): a tuned config never reuses another's files.
    knobs = hashlib.sha256(json.dumps(asdict(cfg), sort_keys=True).encode()).hexdigest()[:8]
    return cache_root() / f"demo-{cfg.seed}-{cfg.scale}-v{GENERATOR_VERSION}-{knobs}"


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out or "0"


class _Writer:
    """One zstd NDJSON stream, written with a 2 GiB window like the Pushshift/Arctic Shift dumps."""

    def __init__(self, path: Path):
        params = zstandard.ZstdCompressionParameters.from_level(3, window_log=31, write_checksum=True)
        self._f = open(path, "wb")
        self._w = zstandard.ZstdCompressor(compression_params=params).stream_writer(self._f)

    def write(self, obj: dict) -> None:
        self._w.write(json.dumps(obj, ensure_ascii=False).encode() + b"\n")

    def close(self) -> None:
        self._w.close()  # flushes the frame and closes the file


class _Generator:
    def __init__(self, cfg: DemoConfig):
        self.cfg = cfg
        self.next_id = 36**5  # six-character base36 ids, like 2010s Reddit
        self.log_ref = {}

    def new_id(self) -> str:
        self.next_id += 1
        return _base36(self.next_id)

    def subreddit(self, sub: str, n_posts: int, out: Path, rng: random.Random) -> None:
        posts_w = _Writer(out / f"{sub}_submissions.zst")
        comments_w = _Writer(out / f"{sub}_comments.zst")
        pending: list[tuple[int, int, dict]] = []  # (created_utc, seq, comment): a time-ordered heap
        seq = 0
        t = START_UTC
        gap = 2 * 365 * 86400 // max(1, n_posts)  # spread posts over two years
        for i in range(n_posts):
            t += rng.randint(gap // 2, gap * 3 // 2)
            while pending and pending[0][0] <= t:  # dumps are ordered by creation time
                comments_w.write(heapq.heappop(pending)[2])
            post = self.post(sub, t, rng)
            comments = self.comments(sub, post, rng)  # sets the post's num_comments: write it after
            posts_w.write(post)
            for c in comments:
                seq += 1
                heapq.heappush(pending, (c["created_utc"], seq, c))
        orphans = self.cfg.orphan_comments * self.cfg.scale // len(self.cfg.other_subreddits + ("WritingPrompts",))
        for _ in range(max(1, orphans)):  # their post was never archived: prepare counts them
            ghost = {"id": self.new_id(), "subreddit": sub, "created_utc": t, "author": text.username(rng)}
            c = self.comment(sub, ghost, rng, delay=rng.randint(60, 7200), quality=rng.random())
            seq += 1
            heapq.heappush(pending, (c["created_utc"], seq, c))
        while pending:
            comments_w.write(heapq.heappop(pending)[2])
        posts_w.close()
        comments_w.close()

    def post(self, sub: str, t: int, rng: random.Random) -> dict:
        cfg = self.cfg
        title = text.post_title(sub, rng)
        if sub == "WritingPrompts":
            title = (rng.choice(text.OTHER_TAGS) if rng.random() < cfg.untagged_prompt_fraction
                     else rng.choice(("[WP] ",) * 8 + ("[SP] ", "[EU] "))) + title
        score = int(math.exp(rng.gauss(math.log(60), 0.9)))
        if rng.random() < cfg.low_score_post_fraction:
            score = rng.randint(0, 9)
        odd = rng.random() / cfg.odd_post_fraction if cfg.odd_post_fraction else 99
        body = text.post_body(sub, rng)
        return {"id": self.new_id(), "subreddit": sub, "title": title,
                "selftext": "[removed]" if 3 <= odd < 4 else body,
                "is_self": not (0 <= odd < 1 and sub != "WritingPrompts"), "author": text.username(rng),
                "created_utc": t, "score": score, "upvote_ratio": round(rng.uniform(0.7, 1.0), 2),
                "over_18": 1 <= odd < 2, "edited": t + 600 if 2 <= odd < 3 else False,
                "removed_by_category": "moderator" if 3 <= odd < 4 else None,
                "num_comments": 0, "stickied": False, "distinguished": None}

    def comments(self, sub: str, post: dict, rng: random.Random) -> list[dict]:
        cfg = self.cfg
        out = []
        if sub == "WritingPrompts" or rng.random() < 0.3:  # the sub's stickied rules reminder
            out.append(self.comment(sub, post, rng, delay=5, quality=0.5, author="AutoModerator",
                                    distinguished="moderator", stickied=True))
        elif rng.random() < 0.1:  # a human moderator answering in an official capacity
            out.append(self.comment(sub, post, rng, delay=rng.randint(600, 7200), quality=rng.random(),
                                    author="mod_" + text.username(rng), distinguished="moderator"))
        for _ in range(rng.randint(*cfg.top_level_range)):
            if rng.random() < cfg.burst_fraction:
                delay = int(3600 * math.exp(rng.gauss(math.log(cfg.burst_hours), 0.7)))
            else:
                delay = rng.randint(3 * 3600, 30 * 3600)
            c = self.comment(sub, post, rng, delay=max(30, delay), quality=rng.random())
            out.append(c)
            if rng.random() < cfg.reply_fraction:  # replies never pair (top-level only)
                r = self.comment(sub, post, rng, delay=delay + rng.randint(60, 3600), quality=rng.random())
                r["parent_id"] = "t1_" + c["id"]
                out.append(r)
        post["num_comments"] = len(out)
        return out

    def comment(self, sub: str, post: dict, rng: random.Random, delay: int, quality: float,
                author: str | None = None, distinguished: str | None = None, stickied: bool = False) -> dict:
        cfg = self.cfg
        lo, hi = cfg.story_chars if sub == "WritingPrompts" else cfg.other_chars
        if sub == "WritingPrompts" and rng.random() < 0.08:
            lo, hi = 40, 300  # "great prompt, part 2 please": not a story, the min-length rule drops it
        target = int(math.exp(rng.uniform(math.log(lo), math.log(hi))))
        body = text.response(sub, quality, target, hi, rng)
        length_term = cfg.length_weight * math.log(len(body) / math.sqrt(lo * hi))
        log_score = (math.log(cfg.median_score) + cfg.quality_weight * (quality - 0.5) + length_term
                     - cfg.earliness_weight * math.log(1 + delay / 3600) + rng.gauss(0, cfg.score_noise))
        c = {"id": self.new_id(), "link_id": "t3_" + post["id"], "parent_id": "t3_" + post["id"],
             "subreddit": sub, "body": body, "author": author or text.username(rng),
             "created_utc": post["created_utc"] + delay, "score": int(round(math.exp(log_score))) - 1,
             "edited": False, "distinguished": distinguished, "stickied": stickied, "is_submitter": False,
             "retrieved_on": post["created_utc"] + 90 * 86400}
        if author is None:
            self.rule_breaker(c, post, rng)
        return c

    def rule_breaker(self, c: dict, post: dict, rng: random.Random) -> None:
        """With a small chance each, make the comment one that a rule must drop."""
        kind = int(rng.random() / self.cfg.special_comment_fraction) if self.cfg.special_comment_fraction else 99
        if kind == 0:
            c["body"], c["author"] = "[deleted]", "[deleted]"
        elif kind == 1:
            c["body"] = "[removed]"
        elif kind == 2:
            c["author"] = rng.choice(("AutoModerator", "RemindMeBot"))
        elif kind == 3:
            c["stickied"] = True
        elif kind == 4:
            c["author"], c["is_submitter"] = post["author"], True
        elif kind == 5:
            c["edited"] = c["created_utc"] + rng.randint(60, 86400)
        elif kind == 6 and rng.random() < 0.1:  # rarer: it shows in the bad-input report of every demo run
            c["score"] = None  # old dumps: score unknown (counted as bad input, dropped as score_missing)
        elif kind == 7:
            c["author"] = "[deleted]"  # the account is gone, the text stayed
        elif kind == 8 and c["subreddit"] != "WritingPrompts":
            c["body"] = (c["body"] + " ") * (10_001 // max(1, len(c["body"])) + 1)  # past max_response_chars


def corpus_subreddits(cfg: DemoConfig) -> tuple[str, ...]:
    """The subreddits the corpus holds, known without generating it."""
    return ("WritingPrompts",) + tuple(cfg.other_subreddits)


def generate(cfg: DemoConfig, out: Path) -> None:
    """Write the corpus into ``out`` (an empty directory)."""
    gen = _Generator(cfg)
    for i, sub in enumerate(corpus_subreddits(cfg)):
        rng = random.Random(f"{cfg.seed}:{i}:{sub}")  # one stream per subreddit: adding a sub leaves others alone
        n = cfg.writingprompts_posts if sub == "WritingPrompts" else cfg.posts_per_other_subreddit
        gen.next_id = 36**5 + i * 10**7  # disjoint id ranges per subreddit
        gen.subreddit(sub, n * cfg.scale, out, rng)


def ensure_corpus(cfg: DemoConfig) -> Path:
    """The corpus directory, generated on first use (atomically: temp dir, then rename)."""
    final = corpus_dir(cfg)
    if (final / "COMPLETE").exists():
        return final
    try:
        # A partial directory (no COMPLETE: an old crash) is replaced; a complete one never is.
        with atomic_dir(final, overwrite=True, owned=lambda d: not (d / "COMPLETE").exists(),
                        what="partial demo corpus") as tmp:
            generate(cfg, tmp)
            (tmp / "COMPLETE").write_text(f"rmbench demo corpus, generator v{GENERATOR_VERSION}, "
                                          f"seed {cfg.seed}, scale {cfg.scale}: SYNTHETIC\n")
    except (OutputExistsError, OSError):  # OSError: the other process renamed between our check and rename
        if not (final / "COMPLETE").exists():
            raise
        # another process finished the same corpus first: records are identical, keep theirs
    return final


class DemoSource(DumpSource):
    """The generated corpus, read through the dump reader; every record is ``synthetic``."""

    def __init__(self, cfg: DemoConfig | None = None, spec: str = "demo"):
        self.config = cfg or DemoConfig()
        super().__init__(ensure_corpus(self.config), spec=spec, synthetic=True)
