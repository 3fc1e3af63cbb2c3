"""MageBench's Football-Online rules on GRF-style observations: its shaped reward and its auto-acting.

Written from MageBench's published formula (``env/football_env.py`` of microsoft/MageBench, read for the
numbers): per step, with the left team attacking the goal at x = +1,

* ball progress: 0.8 x the gain of the ball's best x while the left team owns the ball;
* opponents passed: 1.0 x (change in the number of opponents with x below the ball's) / 11, same condition;
* goal: +2.0 on every step whose score shows a left-team goal;
* steal: when the right team owns the ball (and no shot was taken), the task ends and the step earns
  1 - steps_left / 400 (as MageBench computes it: the longer the ball was kept, the more);
* pass success: after a pass action, when the ball reaches another left player, 20 x pass clearness x the
  pass scale (1.0, then x0.75 per completed pass); pass clearness = min over opponents of
  distance / (10 x max(cos(angle between the opponent and the goal seen from the ball), 0) + 1);
* shot: on a shot by the ball owner (once per possession), min(100 x shot clearness x shot distance, 2/3),
  shot clearness = the largest, over five points of the goal mouth, of the smallest distance from the
  ball-to-point line (100 samples) to the nearest opponent; shot distance = 1 within 0.3 of the goal line,
  else 1 - distance, at least 0;

and the step's sum is scaled by 20. ``MageBenchReward.step(obs, action)`` returns ``(reward, terms, done)``;
as in MageBench, the first step only records the starting values and earns 0.

Auto-acting (MageBench's "adapting render"): a move in the same direction as the previous one is held,
one environment step at a time, while nothing is in the way (``keep_moving``), for at most 10 steps; a
pass or shot while a player owns the ball is repeated (alternating with the last direction) until the ball
leaves him, then the built-in AI plays until a player receives it. ``AutoActing.plan`` gives the next
sub-step's action; the environment runs sub-steps until it says the model's turn is over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

SCALE = 20.0
W_PROGRESS, W_PASSED, W_GOAL, W_STEAL, W_PASS, W_SHOT = 0.8, 1.0, 2.0, 1.0, 20.0, 100.0
EPISODE_STEPS = 400
PASS_ACTIONS = (9, 10, 11)  # long, high, short pass in GRF's action order
SHOT_ACTION = 12
GOAL_MOUTH = (-0.044, -0.02, 0.0, 0.022, 0.044)
TERMS = ("progress", "opponents_passed", "goal", "steal", "pass", "shot")


def opponents_passed(obs: dict[str, Any]) -> int:
    ball_x = float(obs["ball"][0])
    return int(sum(1 for x, _ in np.asarray(obs["right_team"])[:, :2] if ball_x > x))


def pass_clearness(obs: dict[str, Any]) -> float:
    ball = np.asarray(obs["ball"][:2], float)
    to_goal = np.array([1.0, 0.0]) - ball
    scores = []
    for player in np.asarray(obs["right_team"], float)[:, :2]:
        to_player = player - ball
        dist = float(np.linalg.norm(to_player))
        if dist == 0.0:
            return 0.0
        cos = float(to_player @ to_goal) / dist / float(np.linalg.norm(to_goal))
        scores.append(dist / (10.0 * max(cos, 0.0) + 1.0))
    return min(scores) if scores else 0.0


def shot_clearness(obs: dict[str, Any]) -> float:
    ball = np.asarray(obs["ball"][:2], float)
    opponents = np.asarray(obs["right_team"], float)[:, :2]
    best = 0.0
    for y in GOAL_MOUTH:
        line = np.array([1.0, y]) - ball
        samples = ball + (np.arange(1, 101)[:, None] / 100.0) * line  # 100 points along the shot
        nearest = np.min(np.linalg.norm(samples[:, None, :] - opponents[None, :, :], axis=2), axis=1)
        best = max(best, float(np.min(nearest)))
    return best


def shot_distance(obs: dict[str, Any]) -> float:
    dist = 1.0 - float(obs["ball"][0])
    return 1.0 if dist < 0.3 else max(1.0 - dist, 0.0)


@dataclass
class MageBenchReward:
    """The reward's state over one episode; call ``step`` after every environment step."""

    episode_steps: int = EPISODE_STEPS
    best_x: float | None = None
    passed: int = 0
    pass_scale: float = 1.0
    passing: bool = False
    last_owner: int = -1
    shot_taken: bool = False
    done: bool = False
    totals: dict[str, float] = field(default_factory=lambda: dict.fromkeys(TERMS, 0.0))

    def reset(self) -> None:
        self.best_x = None
        self.passed = 0
        self.pass_scale, self.passing, self.last_owner = 1.0, False, -1
        self.shot_taken, self.done = False, False
        self.totals = dict.fromkeys(TERMS, 0.0)

    def step(self, obs: dict[str, Any], action: int) -> tuple[float, dict[str, float], bool]:
        terms = dict.fromkeys(TERMS, 0.0)
        if self.best_x is None:  # the episode's first step: starting values, no reward
            self.best_x, self.passed = float(obs["ball"][0]), opponents_passed(obs)
            return 0.0, terms, False
        owner_team, owner = int(obs["ball_owned_team"]), int(obs["ball_owned_player"])
        ball_x = float(obs["ball"][0])
        if owner != -1 and owner_team == 0:
            gain = ball_x - self.best_x
            terms["progress"] = W_PROGRESS * max(0.0, gain)
            if gain > 0:
                self.best_x = ball_x
            now = opponents_passed(obs)
            terms["opponents_passed"] = W_PASSED * (now - self.passed) / 11.0
            self.passed = now
        if int(obs["score"][0]) > 0:
            terms["goal"] = W_GOAL
        stolen = owner_team == 1 and not self.shot_taken
        if stolen:
            terms["steal"] = W_STEAL - W_STEAL * float(obs["steps_left"]) / self.episode_steps
            self.done = True
        pass_reward = 0.0
        if self.passing and self.last_owner != -1 and owner != -1 and not stolen and owner != self.last_owner:
            pass_reward = W_PASS * pass_clearness(obs) * self.pass_scale
            self.pass_scale *= 0.75
            self.passing = False
        terms["pass"] = pass_reward
        if owner != -1:
            self.last_owner = owner
        if action in PASS_ACTIONS:
            self.passing = True
        if action == SHOT_ACTION and owner != -1 and owner_team == 0 and not self.shot_taken:
            terms["shot"] = min(W_SHOT * shot_clearness(obs) * shot_distance(obs), W_GOAL / 3)
            self.shot_taken = True
        if self.last_owner != owner and self.shot_taken:
            self.shot_taken = False  # a missed shot caught by a teammate: another shot may count
        scaled = {k: v * SCALE for k, v in terms.items()}
        for k, v in scaled.items():
            self.totals[k] += v
        return float(sum(scaled.values())), scaled, self.done


MOVES = range(1, 9)
BUILTIN_AI = 19
MAX_AUTO_STEPS = 10
MOVE_MIN_DISTANCE = 0.01
MAX_PASS_SUBSTEPS = 60  # a pass/shot sequence longer than this ends the turn (lmmr1's safety bound)


def keep_moving(obs: dict[str, Any]) -> bool:
    """MageBench's test: the carrier (or the ball) 3 steps ahead stays on the pitch and no opponent comes
    within 0.01 of its projected path over the next 5 steps."""
    owner = int(obs["ball_owned_player"])
    if owner != -1:
        pos = np.asarray(obs["left_team"], float)[owner, :2]
        direction = np.asarray(obs["left_team_direction"], float)[owner, :2]
    else:
        pos = np.asarray(obs["ball"], float)[:2]
        direction = np.asarray(obs["ball_direction"], float)[:2]
    ahead = pos + 3 * direction
    if not (-1.0 < ahead[0] < 1.0 and -0.42 < ahead[1] < 0.42):
        return False
    opponents = np.asarray(obs["right_team"], float)[:, :2]
    opp_dirs = np.asarray(obs["right_team_direction"], float)[:, :2]
    for i in range(6):
        mine = pos + i * direction
        theirs = opponents + i * opp_dirs
        if np.any(np.linalg.norm(theirs - mine, axis=1) < MOVE_MIN_DISTANCE):
            return False
    return True


@dataclass
class AutoActing:
    """The auto-acting state of one episode (see the module docstring)."""

    prev_action: int = -1
    prev_direction: int = 5  # right

    def reset(self) -> None:
        self.prev_action, self.prev_direction = -1, 5

    def run(self, action: int, obs: dict[str, Any], step_once: Any) -> tuple[Any, bool]:
        """Play the model's ``action`` from ``obs`` with ``step_once(a) -> (obs, done)``; returns (obs, done)."""
        if action in MOVES:
            self.prev_direction = action
            repeat = self.prev_action == action
            self.prev_action = action
            obs, done = step_once(action)
            if not repeat:
                return obs, done
            held = 1
            while not done and held < MAX_AUTO_STEPS and keep_moving(obs):
                obs, done = step_once(action)
                held += 1
            return obs, done
        self.prev_action = action
        passer = int(obs["ball_owned_player"])
        if action not in (9, 10, 11, SHOT_ACTION) or passer == -1:
            return step_once(action)
        done, substeps = False, 0
        while not done and substeps < MAX_PASS_SUBSTEPS:
            owner = int(obs["ball_owned_player"])
            if owner == passer:
                obs, done = step_once(action)
                substeps += 1
                if done:
                    break
                obs, done = step_once(self.prev_direction)
                substeps += 1
            elif owner == -1:
                obs, done = step_once(BUILTIN_AI)  # the ball in the air: play on until someone receives it
                substeps += 1
            else:
                break
        return obs, done
