"""Rewards that misbehave on purpose, to test the scorer's time limit and crash recovery.

Loaded by path (``misbehaving:sleepy``) in the test process and in the scorer's worker processes
(the tests put this folder on PYTHONPATH).
"""

from __future__ import annotations

import os
import time


def sleepy(data_source, solution_str, ground_truth, extra_info=None, **kwargs):
    """Sleeps when asked to (the response says "sleep"), else echoes whether response == gold."""
    if "sleep" in solution_str:
        time.sleep(60)
    return {"score": float(solution_str == ground_truth), "acc": float(solution_str == ground_truth)}


sleepy.components = ("acc",)


def crashy(data_source, solution_str, ground_truth, extra_info=None, **kwargs):
    """Kills its own process when the response says "crash"."""
    if "crash" in solution_str:
        os._exit(3)
    return float(solution_str == ground_truth)


def pid_reward(data_source, solution_str, ground_truth, extra_info=None, **kwargs):
    return {"score": 1.0, "pid": float(os.getpid())}


def undeclared(data_source, solution_str, ground_truth, extra_info=None, **kwargs):
    """A verl-style reward returning components without declaring them."""
    hit = float(solution_str == ground_truth)
    return {"score": hit, "acc": hit, "length": float(len(solution_str)), "note": "strings are not metrics"}
