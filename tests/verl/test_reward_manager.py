"""The verl adapter, driven through verl's own reward-loop code on CPU.

The manager is built by ``verl.trainer.ppo.reward.load_reward_manager`` from a config shaped like the one
the verl bridge emits, with a tokenizer trained here from scratch (nothing downloaded), and scores a
hand-built ``DataProto``.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("verl")

from omegaconf import OmegaConf  # noqa: E402

from lmmr1.verl.reward_manager import compute_score  # noqa: E402

SPEC = {
    "name": "lmm_r1",
    "kwargs": {"format_weight": 0.5},
    "by_source": {"ocr": {"name": "regex", "kwargs": {"case_sensitive": False}}},
    "timeout_s": 2.0,
}


def _config(spec=SPEC):
    return OmegaConf.create(
        {
            "reward": {
                "custom_reward_function": {
                    "path": "pkg://lmmr1.verl.reward_manager",
                    "name": "compute_score",
                    "reward_kwargs": {"lmmr1_reward": spec},
                },
                "reward_manager": {
                    "source": "importlib",
                    "name": "LMMR1RewardManager",
                    "module": {"path": "pkg://lmmr1.verl.reward_manager", "name": "LMMR1RewardManager"},
                },
                "sandbox_fusion": None,
                "reward_model": {"enable": False},
            }
        }
    )


@pytest.fixture(scope="module")
def tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    from tokenizers import decoders

    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<pad>", "<unk>", "<eos>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    corpus = ["<think>two plus two</think><answer>\\boxed{4}</answer>", "the answer is 42", "hello world"] * 20
    tok.train_from_iterator(corpus, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", unk_token="<unk>", eos_token="<eos>")


def _batch(tokenizer, rows):
    """A DataProto like the one verl's agent loop hands to ``run_single`` (left-padded prompts)."""
    from verl import DataProto

    prompt_len, resp_len = 4, 64
    prompts, responses, masks = [], [], []
    for row in rows:
        ids = tokenizer(row["response"])["input_ids"][:resp_len]
        pad = tokenizer.pad_token_id
        prompts.append([pad] * prompt_len)
        responses.append(ids + [pad] * (resp_len - len(ids)))
        masks.append([1] * prompt_len + [1] * len(ids) + [0] * (resp_len - len(ids)))
    tensors = {
        "prompts": torch.tensor(prompts),
        "responses": torch.tensor(responses),
        "attention_mask": torch.tensor(masks),
    }
    non_tensors = {
        "data_source": np.array([r["data_source"] for r in rows], dtype=object),
        "reward_model": np.array([{"ground_truth": r["ground_truth"]} for r in rows], dtype=object),
        "extra_info": np.array([{} for _ in rows], dtype=object),
    }
    return DataProto.from_dict(tensors=tensors, non_tensors=non_tensors)


ROWS = [
    {"response": "<think>two plus two</think><answer>\\boxed{4}</answer>", "ground_truth": "4", "data_source": "math"},
    {"response": "<think>two plus two</think><answer>\\boxed{5}</answer>", "ground_truth": "4", "data_source": "math"},
    {"response": "the answer is \\boxed{4}", "ground_truth": "4", "data_source": "math"},
    {"response": "<answer>Hello World</answer>", "ground_truth": "hello world", "data_source": "ocr"},
]
EXPECTED = [1.5, 0.5, 1.0, 1.0]


def test_manager_through_verl_load_reward_manager(tokenizer):
    from verl.trainer.ppo.reward import load_reward_manager

    manager = load_reward_manager(_config(), tokenizer)
    assert type(manager).__name__ == "LMMR1RewardManager"
    data = _batch(tokenizer, ROWS)

    async def run_all():
        return await asyncio.gather(*(manager.run_single(data[i : i + 1]) for i in range(len(data))))

    outputs = manager.loop.run_until_complete(run_all())  # verl runs the manager on its own loop
    assert [o["reward_score"] for o in outputs] == EXPECTED
    keys = [tuple(sorted(o["reward_extra_info"])) for o in outputs]
    assert len(set(keys)) == 1, "verl stacks reward_extra_info: every row needs the same keys"
    assert set(keys[0]) == {"acc", "format", "timeout", "error"}
    assert outputs[0]["reward_extra_info"]["format"] == 1.0
    assert outputs[2]["reward_extra_info"]["format"] == 0.0
    assert all(o["reward_extra_info"]["timeout"] == 0 for o in outputs)
    # verl assembles the scores at the last valid response token
    scores = manager.assemble_rm_scores(data, [o["reward_score"] for o in outputs])
    assert scores.sum().item() == pytest.approx(sum(EXPECTED))


def test_compute_score_hook_via_verl_custom_reward_fn(tokenizer):
    """verl's stock custom-function path: get_custom_reward_fn merges reward_kwargs into each call."""
    from verl.trainer.ppo.reward import get_custom_reward_fn

    fn = get_custom_reward_fn(_config())
    for row, expected in zip(ROWS, EXPECTED):
        out = fn(
            data_source=row["data_source"],
            solution_str=row["response"],
            ground_truth=row["ground_truth"],
            extra_info={},
        )
        assert out["score"] == expected
        assert out["timeout"] == 0


def test_compute_score_picks_reward_per_data_source():
    spec = {"name": "math", "by_source": {"mc": {"name": "choice"}}}
    assert compute_score("gsm", "\\boxed{B}", "B", lmmr1_reward=spec)["score"] == 1.0
    assert compute_score("mc", "<answer>(B) 12</answer>", "B", lmmr1_reward=spec)["score"] == 1.0
    assert compute_score("mc", "<answer>A or B</answer>", "B", lmmr1_reward=spec)["score"] == 0.0


def test_compute_score_without_spec_says_what_to_set():
    with pytest.raises(ValueError, match="lmmr1_reward"):
        compute_score("x", "1", "1")


def test_module_import_is_light():
    code = (
        "import sys, lmmr1.verl.reward_manager as m; "
        "print(m.compute_score('x', '\\\\boxed{2}', '2', lmmr1_reward={'name': 'math'})['score']); "
        "print(sorted(k for k in ('torch', 'ray', 'verl') if k in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "1.0"
    assert out[1] == "[]"


def test_reward_metrics_summarise_extra_info():
    from lmmr1.verl.reward_manager import reward_metrics

    extra = {
        "acc": np.array([1.0, 0.0, 1.0, 0.0]),
        "format": np.array([1.0, 1.0, 1.0, 0.0]),
        "timeout": np.array([0.0, 0.0, 1.0, 0.0]),
        "error": np.array([0.0, 0.0, 1.0, 1.0]),
        "data_source": np.array(["a", "b", "a", "b"], dtype=object),
    }
    assert reward_metrics(extra) == {
        "reward/acc/mean": 0.5,
        "reward/format/mean": 0.75,
        "reward/timeout/count": 1.0,
        "reward/error/count": 2.0,
    }
    assert reward_metrics(extra, keys=["acc"]) == {"reward/acc/mean": 0.5}


def test_dapo_overlong_penalty_in_its_three_length_regions():
    """DAPO's soft overlong punishment (hand-computed): 0 up to L_max - L_cache, linear inside the buffer, the
    full penalty at and beyond L_max."""
    from lmmr1.verl.reward_manager import overlong_penalty

    # L_max 20480, buffer 4096 (DAPO's published setting): the ramp starts after 16384 tokens
    assert overlong_penalty(100, 20480, 4096) == 0.0
    assert overlong_penalty(16384, 20480, 4096) == 0.0
    assert overlong_penalty(16385, 20480, 4096) == pytest.approx(-1 / 4096)
    assert overlong_penalty(18432, 20480, 4096) == pytest.approx(-0.5)
    assert overlong_penalty(20480, 20480, 4096) == pytest.approx(-1.0)
    assert overlong_penalty(30000, 20480, 4096) == pytest.approx(-1.0)  # longer than the budget: the floor
    assert overlong_penalty(47, 48, 10, penalty=0.5) == pytest.approx(-0.5 * 9 / 10)
    assert overlong_penalty(48, 48, 0) == 0.0  # buffer 0: shaping off


def test_the_manager_adds_the_overlong_penalty_as_a_component(tokenizer):
    """algorithm.overlong_buffer > 0: the bridge's ``lmmr1_overlong`` makes the manager subtract DAPO's penalty
    from the score by the response's token count and report it as the ``overlong`` component of every row."""
    from verl.trainer.ppo.reward import load_reward_manager

    config = _config()
    lengths = [len(tokenizer(r["response"])["input_ids"]) for r in ROWS]
    shaping = {"max_length": max(lengths), "buffer": 6, "penalty": 1.0}  # lengths 17, 17, 9, 13: 0 to -1
    config.reward.custom_reward_function.reward_kwargs.lmmr1_overlong = shaping
    manager = load_reward_manager(config, tokenizer)
    data = _batch(tokenizer, ROWS)

    async def run_all():
        return await asyncio.gather(*(manager.run_single(data[i : i + 1]) for i in range(len(data))))

    outputs = manager.loop.run_until_complete(run_all())
    assert lengths == [17, 17, 9, 13]  # the ramp runs from 11 tokens (0) to 17 (-1), by hand:
    expected = [-1.0, -1.0, 0.0, -2 / 6]
    for output, base, penalty in zip(outputs, EXPECTED, expected):
        assert set(output["reward_extra_info"]) == {"acc", "format", "overlong", "timeout", "error"}
        assert output["reward_extra_info"]["overlong"] == pytest.approx(penalty)
        assert output["reward_score"] == pytest.approx(base + penalty)
