"""What the thread store keeps of a record, and gives back (``rmbench.prepare.store``).

A post is stored as the columns of ``POST_COLS``; a kept comment as a row (post id,
record, mask): the record a ``Comment`` while held, its ``fields`` once written to a run
(``rmbench.prepare.runs``), or its id alone (``id_row``); the mask has bit i set when the
i-th task matching the comment's subreddit kept it, so one stored copy serves every task.
Whatever the path, a record reads back the same (``as_stored``).
"""

from __future__ import annotations

from rmbench.records import Comment, Post

POST_COLS = ("id", "subreddit", "title", "selftext", "created_utc", "author", "score", "is_self",
             "upvote_ratio", "over_18", "stickied", "distinguished", "edited", "removed_by_category",
             "num_comments", "synthetic")


def post_row(p: Post) -> tuple:
    return (p.id, p.subreddit, p.title, p.selftext, p.created_utc, p.author, p.score, p.is_self,
            p.upvote_ratio, p.over_18, p.stickied, p.distinguished, p.edited, p.removed_by_category,
            p.num_comments, p.synthetic)


def post_from_row(r: tuple) -> Post:
    return Post(r[0], r[1], r[2], r[3], r[4], r[5], r[6], _b(r[7]), r[8], _b(r[9]), _b(r[10]), r[11],
                _b(r[12]), r[13], r[14], bool(r[15]))


def _b(v):
    return None if v is None else bool(v)


def fields(c: Comment) -> tuple:
    """What a comment is stored as (``Comment``'s fields, flags as None or bool):
    ``Comment(*fields(c))`` gives the comment back as the store reads it."""
    return (c.id, c.post_id, c.parent_id, c.subreddit, c.body, c.created_utc, c.author, c.score,
            None if c.edited is None else bool(c.edited), c.distinguished,
            None if c.stickied is None else bool(c.stickied),
            None if c.is_submitter is None else bool(c.is_submitter), bool(c.synthetic), c.retrieved_utc)


def held_row(c: Comment, mask: int = 1) -> tuple:
    """A kept comment's row as the load stage makes it (``ThreadStore.add_comment_rows``)."""
    return c.post_id, c, mask


def id_row(post_id: str, comment_id: str) -> tuple:
    """The stored row of a comment no task keeps, held for its id alone: the load stage
    stores those of kept posts so that "the last copy read wins" can see a later, dropped
    copy of a kept comment. Its record is the id as text: no ``Comment`` to build, write or
    read back for ~30% of the stored rows."""
    return post_id, comment_id, 0


def as_stored(c: Comment) -> Comment:
    """The comment as the store gives it back (``fields``): flags None or bool. Nearly every
    comment already is."""
    if ((c.edited is None or c.edited is True or c.edited is False)
            and (c.stickied is None or c.stickied is True or c.stickied is False)
            and (c.is_submitter is None or c.is_submitter is True or c.is_submitter is False)
            and (c.synthetic is True or c.synthetic is False)):
        return c
    return Comment(*fields(c))


def comment_from_row(r: tuple) -> Comment:
    rec = r[1]
    if type(rec) is Comment:  # held in memory (``held_row``), already as stored
        return rec
    if type(rec) is str:  # an id_row: only the id is known (and only the id is ever read)
        return Comment(rec, r[0], "", "", "", 0)
    return Comment(*rec)  # read back from a run: its fields


__all__ = ["POST_COLS", "as_stored", "comment_from_row", "fields", "held_row", "id_row", "post_from_row", "post_row"]
