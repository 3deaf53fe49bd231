"""rmbench: a held-out transfer benchmark for reward models built from Reddit votes.

The harness lives here (import name ``rmbench``); task plugins are ``rmbench.tasks``
(the repository's ``tasks/`` folder) and the leaderboard is ``rmbench.leaderboard``.
"""

__version__ = "0.1.0"
