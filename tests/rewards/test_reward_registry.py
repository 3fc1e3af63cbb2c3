"""The built-in rewards come through the same entry-point group a plug-in uses."""

from __future__ import annotations

import pytest

from lmmr1.registry import Registry, RegistryError
from lmmr1.rewards import REWARDS, get_reward

BUILTINS = {
    "format": "lmmr1.rewards.format:format_reward",
    "math": "lmmr1.rewards.math:math_reward",
    "lmm_r1": "lmmr1.rewards.lmm_r1:lmm_r1_reward",
    "regex": "lmmr1.rewards.regex:regex_reward",
    "choice": "lmmr1.rewards.choice:choice_reward",
    "iou": "lmmr1.rewards.iou:iou_reward",
}


@pytest.mark.parametrize("name,target", sorted(BUILTINS.items()))
def test_builtin_is_an_entry_point_with_the_verl_signature(name, target):
    entries = {e.name: e for e in REWARDS.entries()}
    assert entries[name].target == target and entries[name].origin.startswith("lmmr1")
    fn = get_reward(name)
    out = fn("src", "<think>x</think><answer>\\boxed{1}</answer>", "1", extra_info=None)
    assert isinstance(out, dict) and isinstance(out["score"], float)
    for component in getattr(fn, "components", ()):
        assert component in out


def test_unknown_reward_lists_what_is_installed():
    with pytest.raises(RegistryError) as err:
        get_reward("does_not_exist")
    assert "Installed:" in str(err.value) and "lmm_r1" in str(err.value)


def test_conflicting_duplicate_is_rejected():
    reg: Registry = Registry("reward", "lmmr1.rewards")
    reg.register("mine", get_reward("math"))
    reg.register("mine", get_reward("math"))  # same object again: fine
    with pytest.raises(RegistryError, match="already registered"):
        reg.register("mine", get_reward("format"))
    with pytest.raises(RegistryError, match="entry point"):
        reg.register("math", get_reward("format"))
        reg.names()


def test_module_function_paths_work_for_one_off_rewards():
    assert get_reward("lmmr1.rewards.math:math_reward") is get_reward("math")
