"""The load stage: duplicates where the last copy read wins whatever the rules say of it."""

from __future__ import annotations

import json

from rmbench.prepare import prepare


def test_the_last_copy_of_a_comment_wins_even_when_only_an_earlier_copy_passed(tmp_path, dump_thread, write_dumps):
    post, comments = dump_thread("p1", "askscience", n=4)
    later = {**comments[3], "edited": True}  # the same comment read again, now edited: the rules drop it
    dumps = write_dumps(tmp_path / "dumps", {"askscience_submissions.ndjson": [post],
                                             "askscience_comments.ndjson": comments + [later]})
    manifest = prepare(str(dumps), tmp_path / "out", tasks=["askscience"], progress=False, workers=1)
    t = manifest["tasks"]["askscience"]
    assert t["comments"]["dropped"]["comment_edited"] == 1 and t["comments"]["dropped"]["duplicate"] == 1
    assert t["comments"]["seen"] == t["comments"]["kept"] + sum(t["comments"]["dropped"].values()) + t["comments"]["orphans"]
    rows = [json.loads(line) for split in ("train", "validation", "test")
            for line in (tmp_path / "out" / "askscience" / f"{split}.jsonl").read_text().splitlines()]
    used = {r["chosen_id"] for r in rows} | {r["rejected_id"] for r in rows}
    assert rows and "p1c3" not in used  # its last copy was edited: never paired


def test_a_comment_whose_post_is_in_another_subreddit_is_an_orphan(tmp_path, dump_thread, write_dumps):
    post, comments = dump_thread("p1", "askscience", n=4)
    stray = {**comments[0], "id": "x1", "subreddit": "AskPhysics"}  # names r/AskPhysics, answers an r/askscience post
    dumps = write_dumps(tmp_path / "dumps", {"askscience_submissions.ndjson": [post],
                                             "askscience_comments.ndjson": comments + [stray]})
    for workers in (1, 2):
        m = prepare(str(dumps), tmp_path / f"w{workers}", tasks=["askscience", "askphysics"], progress=False,
                    workers=workers)
        assert m["tasks"]["askphysics"]["comments"]["orphans"] == 1 and m["tasks"]["askscience"]["comments"]["orphans"] == 0


def test_records_of_unselected_subreddits_in_a_file_named_for_none_are_counted(tmp_path, dump_thread, write_dumps):
    post, comments = dump_thread("p1", "askscience", n=4)
    other, other_comments = dump_thread("q1", "CasualConversation", n=3)
    dumps = write_dumps(tmp_path / "dumps", {"export.jsonl": [post, other] + comments + other_comments})
    m = prepare(str(dumps), tmp_path / "out", tasks=["askscience"], progress=False, workers=1)
    assert m["source"]["records"] == {"posts": 1, "comments": 4, "other_subreddits": {"posts": 1, "comments": 3}}


def test_replies_judged_in_bulk_count_as_one_by_one(tmp_path, dump_thread, write_dumps, monkeypatch):
    """The load stage counts replies in bulk when every task's first rule drops them; the
    manifest is the same as when each reply is judged on its own."""
    from rmbench.prepare import load

    post, comments = dump_thread("p1", "askscience", n=4)
    low, low_comments = dump_thread("p2", "askscience", n=3, score=-5)  # a dropped post
    replies = [{**c, "id": f"r{k}", "parent_id": f"t1_{c['id']}", "retrieved_utc": c["created_utc"] + 10 * k}
               for k, c in enumerate(comments + low_comments)]
    replies += [{**replies[0], "id": "rd", "body": "[deleted]"}, {**replies[1], "id": "rr", "body": " [removed]"}]
    for r in replies[::2]:
        r.pop("retrieved_utc")
    dumps = write_dumps(tmp_path / "dumps", {"askscience_submissions.ndjson": [post, low],
                                             "askscience_comments.ndjson": comments + low_comments + replies})
    bulk = prepare(str(dumps), tmp_path / "bulk", tasks=["askscience"], progress=False, workers=1)
    monkeypatch.setattr(load, "first_rule_drops_replies", lambda task: False)
    each = prepare(str(dumps), tmp_path / "each", tasks=["askscience"], progress=False, workers=1)
    dropped = bulk["tasks"]["askscience"]["comments"]["dropped"]
    assert dropped["not_top_level"] == 4 + 2 and dropped["post_dropped"] == 3 + 3  # p2: its comments and replies
    assert bulk["tasks"] == each["tasks"] and bulk["fingerprint"] == each["fingerprint"]


def test_posts_remembered_while_loading_judge_as_posts_read_back(tmp_path, dump_thread, write_dumps, monkeypatch):
    """Posts are held in the cache as they are loaded; with a cache too small to hold them
    (one post), the others' are read back from the store instead: the same output. A post
    read twice is judged by its last copy either way, held (p0) or read back (p4)."""
    from rmbench.prepare import load

    posts, comments = [], []
    for k in range(6):
        p, cs = dump_thread(f"p{k}", "askscience", n=3)
        posts.append(p)
        comments += cs
    posts += [{**posts[k], "over_18": True} for k in (0, 4)]  # their last copies are dropped (post_nsfw)
    dumps = write_dumps(tmp_path / "dumps", {"askscience_submissions.ndjson": posts,
                                             "askscience_comments.ndjson": comments})
    held = prepare(str(dumps), tmp_path / "held", tasks=["askscience"], progress=False, workers=1)
    monkeypatch.setattr(load._PostCache, "SIZE", 1)
    fetched = prepare(str(dumps), tmp_path / "fetched", tasks=["askscience"], progress=False, workers=1)
    assert held["tasks"]["askscience"]["posts"]["dropped"]["post_nsfw"] == 2
    assert held["tasks"]["askscience"]["comments"]["dropped"]["post_dropped"] == 2 * 3
    assert held["tasks"] == fetched["tasks"]
    for split in ("train", "validation", "test"):
        path = f"askscience/{split}.jsonl"
        assert (tmp_path / "held" / path).read_bytes() == (tmp_path / "fetched" / path).read_bytes()


def test_comments_of_dropped_posts_counted_in_bulk_count_as_one_by_one(tmp_path, dump_thread, write_dumps,
                                                                       monkeypatch):
    """Comments of a post every task dropped are counted in bulk while loading (no comment rule
    runs for them); the manifest and split files are those of judging each comment on its own,
    with the replies' bulk path on and off."""
    from rmbench.prepare import load

    post, comments = dump_thread("p1", "askscience", n=4)
    low, low_comments = dump_thread("p2", "askscience", n=3, score=-5)  # dropped: post_score_low
    nsfw, nsfw_comments = dump_thread("p3", "askscience", n=2, over_18=True)  # dropped: post_nsfw
    dropped = low_comments + nsfw_comments
    dropped += [{**dropped[0], "id": "w1", "body": "[deleted]"}, {**dropped[1], "id": "rp", "parent_id": "t1_x"},
                {**dropped[2], "id": "snap", "retrieved_utc": dropped[2]["created_utc"] + 5}]
    dumps = write_dumps(tmp_path / "dumps", {"askscience_submissions.ndjson": [post, low, nsfw],
                                             "askscience_comments.ndjson": comments + dropped + [comments[1]]})
    out = {}
    for bulk in (True, False):
        for replies in (True, False):
            monkeypatch.setattr(load, "_BULK_DROPPED_POSTS", bulk)
            monkeypatch.setattr(load, "first_rule_drops_replies", lambda task, r=replies: r and task.top_level_only)
            name = f"{bulk}-{replies}"
            out[name] = prepare(str(dumps), tmp_path / name, tasks=["askscience"], progress=False, workers=1)
    t = out["True-True"]["tasks"]["askscience"]["comments"]
    assert t["dropped"]["post_dropped"] == len(dropped) and t["deleted_or_removed"] == 1
    assert t["dropped"]["duplicate"] == 1 and t["kept"] == 4
    for name, m in out.items():
        assert m["tasks"] == out["True-True"]["tasks"] and m["fingerprint"] == out["True-True"]["fingerprint"], name


def test_the_cyclic_collector_is_paused_while_preparing_and_nothing_piles_up(tmp_path, dump_thread, write_dumps,
                                                                              monkeypatch):
    """prepare pauses Python's cyclic garbage collector (~5% of its CPU) and restores it after;
    that is safe because it makes no reference cycles per record: the cyclic garbage a run
    leaves does not grow with the input (bad lines, whose exceptions take other paths, included)."""
    import gc

    from rmbench.prepare import load

    def dumps(name: str, n: int):
        posts, comments = [], []
        for k in range(n):
            p, cs = dump_thread(f"{name}{k}", "askscience", n=5)
            posts.append(p)
            comments += cs + [{**cs[0], "score": "x"}, b'{"id": 1', {**cs[1], "id": f"{name}r{k}", "parent_id": "t1_a"}]
        return write_dumps(tmp_path / name, {"askscience_submissions.ndjson": posts,
                                             "askscience_comments.ndjson": comments})

    seen = []
    judged = load._judged
    monkeypatch.setattr(load, "_judged", lambda *a: (seen.append(gc.isenabled()), judged(*a))[1])
    small, big = dumps("s", 5), dumps("b", 200)
    prepare(str(small), tmp_path / "warm", tasks=["askscience"], progress=False, workers=1)  # first-use imports
    assert gc.isenabled() and seen == [False]
    gc.collect()
    gc.disable()
    try:
        prepare(str(small), tmp_path / "small", tasks=["askscience"], progress=False, workers=1)
        assert not gc.isenabled()  # left as it was found
        left_small = gc.collect()
        m = prepare(str(big), tmp_path / "big", tasks=["askscience"], progress=False, workers=1)
        left_big = gc.collect()
    finally:
        gc.enable()
    assert m["tasks"]["askscience"]["pairs"]["kept"] > 100 and m["bad_input"]
    assert left_big <= left_small + 20, (left_small, left_big)


def test_kept_comments_held_in_memory_or_spilled_give_the_same_output(tmp_path, dump_thread, write_dumps,
                                                                       monkeypatch):
    """Kept comments are held in memory while they fit (``store.HOLD_BYTES``); past the
    budget they are written out as sorted runs mid-load (``rmbench.prepare.runs``), and runs
    of one level are merged into the next. Either way, and with none held, the output is the
    same, byte for byte."""
    from rmbench.prepare import load, runs, store

    posts, comments = [], []
    for i in range(6):
        post, cs = dump_thread(f"p{i}", "askscience", n=5)
        posts.append(post)
        comments += cs
    comments += [{**comments[2], "score": 40}, {**comments[7], "edited": True}]  # ids read twice
    dumps = write_dumps(tmp_path / "dumps", {"askscience_submissions.ndjson": posts,
                                             "askscience_comments.ndjson": comments})
    written = []  # the level-0 runs each prepare wrote
    real_write = runs.Runs.write
    monkeypatch.setattr(runs.Runs, "write", lambda self, rows: (written.append(len(rows)), real_write(self, rows))[1])
    monkeypatch.setattr(store, "BATCH_ROWS", 4)  # no budget: a run every 4 rows
    monkeypatch.setattr(runs, "FAN_IN", 2)  # and merges of merges
    outputs = {}
    for name, hold in (("held", load.HOLD_BYTES), ("spilled", 3_000), ("none", 0)):
        monkeypatch.setattr(load, "HOLD_BYTES", hold)
        written.clear()
        m = prepare(str(dumps), tmp_path / name, tasks=["askscience"], progress=False, workers=1)
        assert (len(written) > 1) == (name != "held"), (name, written)
        files = {p.name: p.read_bytes() for p in sorted((tmp_path / name / "askscience").iterdir())}
        outputs[name] = (m["tasks"], m["fingerprint"], files)
    assert outputs["held"][2]["train.jsonl"] or outputs["held"][2]["test.jsonl"]
    assert outputs["held"] == outputs["none"] and outputs["spilled"] == outputs["none"]
