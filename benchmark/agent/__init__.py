"""The WritingPrompts agent: a story generator (SFT), an agent trained by pairwise RL
against a reward model (the evaluator), and an evaluation judged by a different reward model.

Modules: ``format`` (prompt layout and story rows), ``tiny`` (an offline toy model for tests),
``generate`` (sampling and log-probabilities), ``sft``, ``rl``, ``evaluate``, ``pipeline``
(the registered ``writingprompts-agent`` chain) and ``cli`` (``rmbench agent``).
"""
