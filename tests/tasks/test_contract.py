"""The contract every registered task keeps, checked for each one (built-in or third-party
in this environment): a new task file is tested the moment it exists."""

from __future__ import annotations

import json
import math
import re

import pytest

from rmbench.records import Comment, Post
from rmbench.registry import all_tasks
from rmbench.task import AgentTask, RedditTask, Task

TASKS = all_tasks()
NAMES = sorted(TASKS)
PREFERENCE = [n for n in NAMES if isinstance(TASKS[n], RedditTask)]
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
BASE_FIELDS = {"name", "version", "description", "subreddits"}


def test_names_unique_and_lower_case():
    assert len(NAMES) == len({n.lower() for n in NAMES})
    assert all(n == n.lower() == TASKS[n].name.lower() for n in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_identity_and_rules_are_serializable(name):
    task = TASKS[name]
    assert isinstance(task, Task) and SNAKE.match(task.kind)
    assert isinstance(task.version, str) and task.version
    assert task.summary().strip()
    rules = task.rules()
    assert json.loads(json.dumps(rules)) is not None  # the manifest stores them
    helps = task.rule_help()
    assert set(helps) == set(rules)
    missing = [k for k, h in helps.items() if k not in BASE_FIELDS and not h.strip()]
    assert not missing, f"rules without a help line: {missing}"
    hash(task)  # frozen: a task can key dicts and cannot change under a running build


def _thread_for(task: RedditTask):
    """A post and two top-level comments that every rule of ``task`` should accept."""
    tag = (getattr(task, "prompt_tags", None) or ("",))[0]  # tasks that demand a title tag
    sub = task.subreddits[0]
    post = Post(id="cp1", subreddit=sub, title=f"{tag} A well-formed question".strip(), selftext="Some context.",
                created_utc=1_600_000_000, author="asker", score=max(task.min_post_score, 1) * 10, is_self=True,
                over_18=False, edited=False)
    n = max(task.min_response_chars, 40)
    assert n <= task.max_response_chars
    low = max(task.min_comment_score, 1)
    high = max(math.ceil(low * task.min_score_ratio) + 1, low + 1)

    def comment(cid, score, dt, body):
        return Comment(id=cid, post_id="cp1", parent_id="t3_cp1", subreddit=sub, body=body,
                       created_utc=1_600_000_000 + dt, author=f"user_{cid}", score=score, edited=False,
                       distinguished=None, stickied=False, is_submitter=False)

    chosen = comment("c1", high, 1200, ("A careful, well-sourced answer. " * 400)[:n])
    rejected = comment("c2", low, 600, ("A quicker, shorter-lived reply. " * 400)[:n])
    return post, chosen, rejected, comment


@pytest.mark.parametrize("name", PREFERENCE)
def test_preference_task_keeps_a_well_formed_pair(name):
    task = TASKS[name]
    assert task.subreddits and all(task.matches(s.upper()) for s in task.subreddits)
    post, chosen, rejected, _ = _thread_for(task)
    assert task.post_drop_reason(post) is None
    assert task.comment_drop_reason(chosen, post) is None
    assert task.comment_drop_reason(rejected, post) is None
    assert task.pair_drop_reason(chosen, rejected, post) is None
    assert task.max_pairs_per_post >= 1 and task.hard_max_length_ratio >= 1 and task.hard_max_time_gap_s >= 0


@pytest.mark.parametrize("name", PREFERENCE)
@pytest.mark.parametrize("body", ["[deleted]", "[removed]"])
def test_preference_task_drops_a_deleted_body(name, body):
    task = TASKS[name]
    post, _, _, comment = _thread_for(task)
    reason = task.comment_drop_reason(comment("c3", 50, 900, body), post)
    assert reason is not None and SNAKE.match(reason)


@pytest.mark.parametrize("name", PREFERENCE)
def test_preference_task_reasons_are_snake_case(name):
    task = TASKS[name]
    post, chosen, rejected, comment = _thread_for(task)
    reasons = [
        task.post_drop_reason(Post(id="x", subreddit=post.subreddit, title="", selftext="[removed]",
                                   created_utc=0, score=-5, over_18=True)),
        task.comment_drop_reason(comment("c4", 50, 900, "fine text " * 10).__class__(
            id="c4", post_id="cp1", parent_id="t1_c1", subreddit=post.subreddit, body="reply", created_utc=0), post),
        task.pair_drop_reason(rejected, chosen, post) if rejected.score > chosen.score else
        task.pair_drop_reason(chosen, comment("c5", chosen.score - 1, 0, chosen.body), post),
    ]
    assert all(r is not None and SNAKE.match(r) for r in reasons), reasons


@pytest.mark.parametrize("name", PREFERENCE)
def test_is_hard_follows_its_bounds(name):
    task = TASKS[name]
    _, chosen, rejected, comment = _thread_for(task)
    same = comment("h1", chosen.score, rejected.created_utc - 1_600_000_000 + task.hard_max_time_gap_s,
                   rejected.body)
    assert task.is_hard(same, rejected)
    far = comment("h2", chosen.score, rejected.created_utc - 1_600_000_000 + task.hard_max_time_gap_s + 1,
                  rejected.body)
    assert not task.is_hard(far, rejected)
    longer = comment("h3", chosen.score, rejected.created_utc - 1_600_000_000,
                     rejected.body * math.ceil(task.hard_max_length_ratio + 1))
    assert not task.is_hard(longer, rejected)


AGENTS = [n for n in NAMES if isinstance(TASKS[n], AgentTask)]


def test_the_built_in_agent_task_is_registered():
    assert "writingprompts-agent" in AGENTS  # so the contract below is checked on at least one task


@pytest.mark.parametrize("name", AGENTS)
def test_agent_task_implements_its_pipeline_and_documents_every_setting(name):
    task = TASKS[name]
    # AgentTask.run_pipeline only raises NotImplementedError: a subclass must override it.
    assert type(task).run_pipeline is not AgentTask.run_pipeline, f"{type(task).__qualname__} lacks run_pipeline"
    settings = {k: v for k, v in task.rules().items() if k not in BASE_FIELDS}
    assert settings, "an agent task's settings are its rules; it declares none"
    helps = task.rule_help()
    missing = sorted(k for k in settings if not helps.get(k, "").strip())
    assert not missing, f"settings without a help line: {missing}"
