"""Stage "prepare": records -> thread store -> pairs -> split files + manifest.

    store.py   the on-disk thread store and the staged pairs (SQLite)
    load.py    pass 1 and 2: load posts and judged comments, pair every thread
    pair.py    the pairing engine: one thread, one task's pairs, every drop counted
    dedup.py   what counts as the same text across tasks
    shards.py  the same passes, one worker process per subreddit
    splits.py  which split a post is in; fingerprints
    write.py   THE writer of prepared data (split files + manifest.json)
    build.py   ``prepare()``: the three passes in a directory swapped into place
    cli.py     ``rmbench prepare``
"""


def __getattr__(name: str):
    # ``from rmbench.prepare import prepare`` without importing the engine for every submodule.
    if name == "prepare":
        from rmbench.prepare.build import prepare

        return prepare
    raise AttributeError(name)
