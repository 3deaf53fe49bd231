"""Best-of-N (``rmbench agent bon``): with constructed scorers over constructed stories, a
reward model equal to the judge wins well above 50% (at its ceiling, 1 - 1/(2N)), a random or
constant one wins about 50%, a length-loving one picks longer stories; end to end with a tiny
generator, the command writes a valid results.json and refuses a judge equal to the reward model."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest
from click.testing import CliRunner

from rmbench.agent.bon import best_of_n, pick_index


class Lookup:
    """A scorer reading each story's reward from a table (a RewardScorer's interface)."""

    def __init__(self, table: dict[str, float]):
        self.table = table

    def score(self, prompts, responses):
        return [self.table[r] for r in responses]


class Noise:
    """A reward model that knows nothing: a seeded random reward per story."""

    def __init__(self, seed: int):
        self.seed = seed

    def score(self, prompts, responses):
        return [random.Random(f"{self.seed}:{r}").random() for r in responses]


def world(prompts: int = 400, n: int = 4, seed: int = 0):
    """N distinct stories per prompt, each with a hidden quality (the judge's reward) that is
    independent of its length."""
    rng = random.Random(seed)
    ps, stories, quality = [], [], {}
    for i in range(prompts):
        row = []
        for k in range(n):
            text = f"story {i}-{k} " + "word " * rng.randint(5, 60)
            quality[text] = rng.random()
            row.append(text)
        ps.append(f"[WP] prompt {i}")
        stories.append(row)
    return ps, stories, quality


def test_a_reward_model_equal_to_the_judge_wins_at_the_ceiling():
    ps, stories, quality = world()
    m = best_of_n(ps, stories, Lookup(quality), Lookup(quality), seed=1)
    w = m["win_rate"]
    # random story = the pick 1/N of the time (a tie), a win otherwise: 1 - 1/(2N) = 0.875
    assert w["ci95"][0] > 0.5 and w["accuracy"] == pytest.approx(0.875, abs=0.04)
    assert w["accuracy"] == m["judge_pick"]["accuracy"] and w["ties"] == m["same_story"]
    assert m["same_story"] == pytest.approx(len(ps) / 4, rel=0.25)
    assert m["length_controlled"]["accuracy"] > 0.75  # quality ignores length: controlling changes little


@pytest.mark.parametrize("scorer", [Noise(7), "constant"], ids=["random", "constant"])
def test_a_reward_model_that_knows_nothing_wins_about_half(scorer):
    ps, stories, quality = world()
    if not isinstance(scorer, Noise):
        scorer = Lookup({s: 0.0 for row in stories for s in row})  # every story the same reward: ties at random
    m = best_of_n(ps, stories, scorer, Lookup(quality), seed=2)
    w = m["win_rate"]
    assert w["ci95"][0] < 0.5 < w["ci95"][1] and w["accuracy"] == pytest.approx(0.5, abs=0.06)
    assert m["judge_pick"]["accuracy"] > 0.8  # the same stories and judge do allow a large effect


def test_a_length_loving_reward_model_picks_longer_stories_and_gains_nothing_here():
    ps, stories, quality = world()
    by_length = Lookup({s: float(len(s)) for row in stories for s in row})
    m = best_of_n(ps, stories, by_length, Lookup(quality), seed=3)
    L = m["length"]
    assert L["picked_mean_chars"] > L["all_mean_chars"] > L["random_mean_chars"] - 20
    assert L["ci95"][0] > 0 and L["picked_minus_random_chars"] == pytest.approx(
        L["picked_mean_chars"] - L["random_mean_chars"])
    assert m["win_rate"]["ci95"][0] < 0.5 < m["win_rate"]["ci95"][1]


def test_ties_in_reward_are_broken_uniformly_and_inputs_are_checked():
    rng = random.Random(0)
    picks = Counter(pick_index([1.0, 1.0, 0.0, 1.0], rng) for _ in range(3000))
    assert set(picks) == {0, 1, 3} and min(picks.values()) > 900
    with pytest.raises(ValueError, match="N >= 2"):
        best_of_n(["p"], [["only one"]], Noise(0), Noise(1))
    with pytest.raises(ValueError, match="same N"):
        best_of_n(["p", "q"], [["a", "b"], ["c", "d", "e"]], Noise(0), Noise(1))


def test_bon_command_writes_harness_results_and_refuses_its_own_judge(tmp_path, tiny_generator_dir, tiny_bert_dir,
                                                                       write_prepared):
    from rmbench.agent.cli import agent_group
    from rmbench.eval.results import schema_problems

    gen = tiny_generator_dir(tmp_path / "gen")
    rm, judge = tiny_bert_dir(tmp_path / "rm", seed=0), tiny_bert_dir(tmp_path / "judge", seed=1)
    data = write_prepared(tmp_path / "data", sizes={"writingprompts": {"train": 6, "test": 12}})
    args = ["bon", "--generator", str(gen), "--reward-model", str(rm), "--data", str(data), "-n", "3",
            "--rounds", "2", "--max-new-tokens", "8", "--out", str(tmp_path / "bon")]
    r = CliRunner().invoke(agent_group, args + ["--judge", str(rm)])
    assert r.exit_code == 1 and "--allow-same-judge" in r.output and not (tmp_path / "bon").exists()
    r = CliRunner().invoke(agent_group, args + ["--judge", str(judge)])
    assert r.exit_code == 0, r.output
    assert "best-of-3 win rate vs a random story" in r.output
    doc = json.loads((tmp_path / "bon" / "results.json").read_text())
    assert schema_problems(doc) == [] and doc["model"]["kind"] == "reward_model" and doc["model"]["parameters"] > 0
    entry = doc["results"]["best-of-n"]
    prompts = entry["best_of_n"]["prompts"]
    assert entry["role"] == "best_of_n" and entry["splits"]["test"]["n"] == 2 * prompts > 0
    assert doc["summary"]["best_of_n"]["n"] == 3 and doc["synthetic_data"] is True
    assert set(entry["best_of_n"]["length"]) >= {"picked_mean_chars", "random_mean_chars", "ci95"}
    assert (tmp_path / "bon" / "examples.json").is_file()
    rows = [json.loads(line) for line in (tmp_path / "bon" / "predictions.jsonl").read_text().splitlines()]
    wins = [1.0 if r["judge_picked"] > r["judge_random"] else 0.0 if r["judge_picked"] < r["judge_random"] else 0.5
            for r in rows]
    assert len(rows) == 2 * prompts and sum(wins) / len(wins) == pytest.approx(entry["splits"]["test"]["accuracy"])
