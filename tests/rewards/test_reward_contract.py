"""Rewards declare their components and fast path with ``@reward_contract``; a malformed one fails at import."""

from __future__ import annotations

import pytest

from lmmr1.rewards import get_reward
from lmmr1.rewards.contract import ContractError, RewardContract, contract_of, reward_contract

BUILT_INS = {
    "format": ("format",),
    "math": ("acc",),
    "lmm_r1": ("acc", "format"),
    "regex": ("acc",),
    "choice": ("acc",),
    "iou": ("iou",),
    "sanity_digit": ("acc", "is_digit"),
}


@pytest.mark.parametrize("name", list(BUILT_INS))
def test_every_built_in_declares_its_contract(name):
    fn = get_reward(name)
    declared = getattr(fn, "__lmmr1_contract__", None)
    assert isinstance(declared, RewardContract), f"{name} has no @reward_contract"
    assert declared.components == BUILT_INS[name] and declared.fast_path is not None
    assert contract_of(fn) is declared


def test_malformed_contracts_fail_when_declared():
    def reward(data_source, solution_str, ground_truth, extra_info=None, weight=1.0):
        return 0.0

    with pytest.raises(ContractError, match="component 'score' is reserved"):
        reward_contract(components=("acc", "score"))(reward)
    with pytest.raises(ContractError, match="not a plain name"):
        reward_contract(components=("acc mean",))(reward)
    with pytest.raises(ContractError, match="not a string"):
        reward_contract(components="acc")(reward)
    with pytest.raises(ContractError, match="repeat a name"):
        reward_contract(components=("acc", "acc"))(reward)

    def narrow_fast(data_source, solution_str, ground_truth):
        return None

    with pytest.raises(ContractError, match="does not take extra_info, weight"):
        reward_contract(fast_path=narrow_fast)(reward)


def test_the_older_attribute_form_is_still_read():
    """Plug-ins written against ``fn.components`` / ``fn.fast_path`` (examples/reward_plugin) keep working."""

    def legacy(data_source, solution_str, ground_truth, extra_info=None):
        return {"score": 1.0, "acc": 1.0}

    legacy.components = ("acc",)
    legacy.fast_path = legacy
    assert contract_of(legacy) == RewardContract(("acc",), legacy)
    assert contract_of(lambda *a: 0.0) == RewardContract(None, None)


def test_the_scorer_uses_the_declared_contract():
    from lmmr1.rewards.scoring import Scorer

    scorer = Scorer("lmm_r1", workers=1)
    try:
        out = scorer.score("t", "<think>x</think><answer>\\boxed{2}</answer>", "2")
        assert out["acc"] == 1.0 and out["format"] == 1.0
        assert scorer._pool is None  # decided by the declared fast path, in-process
    finally:
        scorer.close()
