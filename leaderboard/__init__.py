"""The rmbench leaderboard: submissions validated against frozen test sets, ranked views,
and a static site.

A *track* (``tracks.json``) is one frozen set of held-out test splits — task versions,
pair counts and fingerprints copied from a prepared data directory's manifest by
``rmbench leaderboard freeze``. A *submission* (``submissions/<name>.json``) is a run's
``results.json`` wrapped with who submitted it, which track it is on, and its plots.
Ranking is :func:`rmbench.leaderboard.ranking.heldout_mean`: the mean ``heldout_all``
accuracy (every post of a held-out task; a track frozen on test alone: ``test``) over the
track's held-out tasks, ties broken on ``heldout_all_hard``. The site says so above each table.
"""

SUBMISSION_SCHEMA_VERSION = 1
