"""Reward heads that some published reward models use instead of transformers' one Linear.

INF-ORM-Llama3.1-70B's config names ``INFORMForSequenceClassification``, a class defined
only in its model card: a Llama whose ``score`` is Linear(h, h) -> ReLU -> Linear(h, 1).
Loaded as a plain ``LlamaForSequenceClassification`` its head weights (``score.0.*``,
``score.2.*``) would be ignored and a random head drawn -- a silent wrong number.
``Mlp2LlamaForSequenceClassification`` keeps transformers' forward (last non-pad token
pooling) and swaps only the head, so the checkpoint loads completely.
"""

from __future__ import annotations

from torch import nn
from transformers import LlamaForSequenceClassification


class Mlp2LlamaForSequenceClassification(LlamaForSequenceClassification):
    def __init__(self, config):
        super().__init__(config)
        hidden = config.hidden_size
        self.score = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, self.num_labels))
        self.post_init()


HEADS = {"mlp2": Mlp2LlamaForSequenceClassification}
