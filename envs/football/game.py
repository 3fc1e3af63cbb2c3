"""lmmr1's football engine: a light 2D game with Google Research Football's interface (numpy only).

Why: LMM-R1 evaluated Football-Online in MageBench on Google Research Football (GRF), which needs
a ~5-minute C++ build and renders its 3D frame at 1-2 steps/s with software GL. This is a numpy game with
GRF's action set (same names and order), GRF's raw-observation field names and coordinate system
(x in [-1, 1], y in [-0.42, 0.42], the left team attacks the goal at x = 1). It is not GRF's physics:
players, ball, passes, shots, tackles, goals and restarts are simple and fast, which is what an RL loop for
a vision-language policy on a CPU needs. It implements ``engine.FootballEngine``; the environment around it
is ``env.FootballEnv``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .actions import (
    BUILTIN_AI,
    DIRECTIONS,
    DRIBBLE,
    PASSES,
    RELEASE_DIRECTION,
    RELEASE_DRIBBLE,
    RELEASE_SPRINT,
    SHOT,
    SLIDING,
    SPRINT,
)
from .engine import Positions
from .scenarios import GK, GOAL_Y, PITCH_X, PITCH_Y, Scenario, resolve_scenario

# game modes (GRF's e_GameMode numbering)
NORMAL, KICK_OFF, GOAL_KICK, FREE_KICK, CORNER, THROW_IN, PENALTY = range(7)

GOAL_HEIGHT = 0.1  # ball height under the bar

# movement per step (10 steps per game second, as GRF)
RUN_SPEED, SPRINT_SPEED, DRIBBLE_SPEED = 0.011, 0.017, 0.008
CONTROL_RADIUS = 0.02
TACKLE_RADIUS = 0.028
BALL_FRICTION, BALL_AIR_FRICTION = 0.955, 0.985
GRAVITY = 0.0098
PASS_SPEED = {"short": 0.035, "long": 0.055, "high": 0.045}
SHOT_SPEED = 0.075
# steps from pressing a kick to the ball leaving the foot, as on GRF 2.10.2, whose kick animations take 3-5
# steps for a shot (mostly 3) and 5-7 for a pass (mostly 5) depending on the run-up (measured over run-ups and
# scenarios; tests/envs/test_football_gfootball.py checks it against GRF). The ball stays at the kicker's
# feet meanwhile and a tackle can still take it.
KICK_WINDUP = {"shot": 3, "short": 5, "long": 5, "high": 5}

# reward weights (see FootballEnv's docstring)
W_PROGRESS = 0.8
W_PASSED_OPPONENTS = 1.0
W_GOAL = 2.0
W_POSSESSION_LOST = 1.0
W_PASS = 0.2
W_SHOT = 0.5


@dataclass
class _State:
    left: np.ndarray  # (N, 2)
    right: np.ndarray  # (M, 2)
    left_dir: np.ndarray
    right_dir: np.ndarray
    left_tired: np.ndarray
    right_tired: np.ndarray
    ball: np.ndarray  # (3,)
    ball_dir: np.ndarray  # (3,)
    owner_team: int = -1  # -1 none, 0 left, 1 right
    owner_player: int = -1
    last_touch_team: int = 0
    active: int = 0
    sticky: np.ndarray = field(default_factory=lambda: np.zeros(10, np.int8))
    direction: int = 0  # 0 = none, 1..8 sticky direction of the controlled player
    score: list[int] = field(default_factory=lambda: [0, 0])
    game_mode: int = NORMAL
    restart_team: int = -1
    restart_timer: int = 0
    steps: int = 0
    pass_from: tuple[int, int] | None = None  # (team, player) of a pass in flight
    pass_kind: str = ""
    pass_receiver: int = -1
    shot_in_flight: bool = False
    stun: dict = field(default_factory=dict)  # (team, player) -> steps left
    kick: list | None = None  # a kick on its way: [team, player, kind, steps until the ball leaves, direction]


class LMMR1Engine:
    """lmmr1's game: the agent controls one left player at a time; the others and the right team play simple
    scripted football (press the ball, hold a shape, pass and shoot). See ``FootballEnv`` for the rules."""

    name = "lmmr1"

    def __init__(self, scenario: str | Scenario, max_steps: int | None = None):
        self.scenario_name, self.scenario = resolve_scenario(scenario)
        self.max_steps = int(max_steps if max_steps is not None else self.scenario.max_steps)
        self.n_left, self.n_right = len(self.scenario.left), len(self.scenario.right)
        self.left_roles = np.array([r for _, _, r in self.scenario.left], np.int64)
        self.right_roles = np.array([r for _, _, r in self.scenario.right], np.int64)
        self.state: _State | None = None
        self.rng: np.random.Generator = np.random.default_rng()

    @property
    def steps(self) -> int:
        return self.state.steps if self.state is not None else 0

    def new_episode(self, rng: np.random.Generator) -> None:
        self.rng = rng
        sc = self.scenario
        noise = rng.normal(0.0, 0.01, (self.n_left + self.n_right, 2))
        left = (
            np.array([[x, y] for x, y, _ in sc.left], np.float64)
            + noise[: self.n_left] * (self.left_roles != GK)[:, None]
        )
        right = (
            np.array([[x, y] for x, y, _ in sc.right], np.float64)
            + noise[self.n_left :] * (self.right_roles != GK)[:, None]
        )
        self.state = _State(
            left=left,
            right=right,
            left_dir=np.zeros((self.n_left, 2)),
            right_dir=np.zeros((self.n_right, 2)),
            left_tired=np.zeros(self.n_left),
            right_tired=np.zeros(self.n_right),
            ball=np.array([sc.ball[0], sc.ball[1], 0.0]),
            ball_dir=np.zeros(3),
        )
        st = self.state
        # the left player nearest the ball starts with it
        st.owner_team, st.owner_player = 0, int(np.argmin(np.linalg.norm(left - st.ball[:2], axis=1)))
        st.active = st.owner_player
        st.game_mode = KICK_OFF if sc.ball == (0.0, 0.0) else NORMAL
        st.restart_team, st.restart_timer = (0, 3) if st.game_mode == KICK_OFF else (-1, 0)
        self._reward_state = {"best_x": float(st.ball[0]), "passed": self._opponents_passed(), "pass_scale": 1.0}

    def play(self, action: int) -> tuple[bool, dict[str, float]]:
        st = self.state
        before = (st.owner_team, st.owner_player, list(st.score))
        events: dict[str, Any] = {"shot": None, "pass_completed": False, "out": False}
        self._apply_agent_action(action, events)
        self._scripted_players(events)
        self._physics(events)
        st.steps += 1
        sc = self.scenario
        terminated = bool(
            (sc.end_on_score and st.score != before[2])
            or (sc.end_on_out_of_play and events["out"])
            or (sc.end_on_possession_change and st.owner_team == 1)
        )
        return terminated, self._reward(before, events)

    def positions(self) -> Positions:
        st = self.state
        return Positions(st.left, st.right, st.active, st.ball, st.score)

    def own_frame(self) -> None:
        return None  # the environment draws the 2D frame

    def close(self) -> None:
        self.state = None

    # -- agent ----------------------------------------------------------------------------------
    def _apply_agent_action(self, action: int, events: dict) -> None:
        st = self.state
        i = st.active
        if action == BUILTIN_AI:
            self._ai_left_player(i, events, controlled=True)
            return
        if action in DIRECTIONS:
            st.direction = action
        elif action == RELEASE_DIRECTION:
            st.direction = 0
        elif action == SPRINT:
            st.sticky[8] = 1
        elif action == RELEASE_SPRINT:
            st.sticky[8] = 0
        elif action == DRIBBLE:
            st.sticky[9] = 1
        elif action == RELEASE_DRIBBLE:
            st.sticky[9] = 0
        st.sticky[:8] = 0
        if st.direction:
            st.sticky[st.direction - 1] = 1
        owns = st.owner_team == 0 and st.owner_player == i
        if action in PASSES and owns:
            self._start_kick(0, i, PASSES[action], DIRECTIONS.get(st.direction))
        elif action == SHOT and owns:
            self._start_kick(0, i, "shot", None)
        elif action == SLIDING:
            self._tackle(0, i, reach=TACKLE_RADIUS * 1.8, p=0.7)
        if st.direction and not self._restart_blocks(0):
            speed = DRIBBLE_SPEED if st.sticky[9] else (SPRINT_SPEED if st.sticky[8] else RUN_SPEED)
            self._move_player(0, i, np.array(DIRECTIONS[st.direction]) * speed)
        else:
            st.left_dir[i] = 0.0

    # -- scripted players -----------------------------------------------------------------------
    def _scripted_players(self, events: dict) -> None:
        st = self.state
        for i in range(self.n_left):
            if i != st.active:
                self._ai_left_player(i, events, controlled=False)
        for j in range(self.n_right):
            self._ai_right_player(j, events)

    def _team_arrays(self, team: int):
        st = self.state
        return (st.left, st.left_dir, self.left_roles) if team == 0 else (st.right, st.right_dir, self.right_roles)

    def _ai(self, team: int, i: int, events: dict, controlled: bool) -> None:
        """One scripted player; ``team`` 0 attacks +x, 1 attacks -x (handled by mirroring the sign)."""
        st = self.state
        pos, _, roles = self._team_arrays(team)
        sign = 1.0 if team == 0 else -1.0
        me = pos[i]
        ball = st.ball[:2]
        if self._restart_blocks(team):
            return
        if (team, i) in st.stun:
            return
        if st.owner_team == team and st.owner_player == i:  # on the ball: run at goal, shoot or pass
            goal = np.array([sign * PITCH_X, 0.0])
            to_goal = goal - me
            dist = float(np.linalg.norm(to_goal))
            opp, _, _ = self._team_arrays(1 - team)
            pressure = float(np.min(np.linalg.norm(opp - me, axis=1))) if len(opp) else 1.0
            if st.kick is None and dist < 0.32:
                self._start_kick(team, i, "shot", None)
                return
            if st.kick is None and pressure < 0.05 and self.rng.random() < 0.25:
                mates = [k for k in range(len(pos)) if k != i and roles[k] != GK]
                if mates:
                    self._start_kick(team, i, "short", (sign, 0.0))
                    return
            direction = to_goal / max(dist, 1e-9)
            self._move_player(team, i, direction * RUN_SPEED * (0.85 if not controlled else 1.0))
            return
        if roles[i] == GK:  # keeper: stay on the line, follow the ball's y
            home_x = -sign * 0.99
            target = np.array([home_x, float(np.clip(ball[1], -GOAL_Y * 1.2, GOAL_Y * 1.2))])
            if abs(ball[0] - home_x) < 0.15 and abs(ball[1]) < 0.2 and st.owner_team != team:
                target = ball.copy()
            self._move_towards(team, i, target, RUN_SPEED)
            return
        # nearest to the ball chases it (when not ours); others keep a shape shifted with the ball
        dists = np.linalg.norm(pos - ball, axis=1)
        dists[roles == GK] = np.inf
        if st.owner_team != team and (i == int(np.argmin(dists)) or controlled):
            self._move_towards(team, i, ball, RUN_SPEED * (1.0 if team == 0 else 0.8))
            self._tackle(team, i, reach=TACKLE_RADIUS, p=0.25 if team == 1 else 0.35)
            return
        home = self._home(team, i)
        shift = np.array([ball[0] * 0.5 + (0.12 * sign if st.owner_team == team else -0.05 * sign), ball[1] * 0.3])
        target = np.clip(home + shift, [-PITCH_X, -PITCH_Y], [PITCH_X, PITCH_Y])
        self._move_towards(team, i, target, RUN_SPEED * 0.7)

    def _ai_left_player(self, i: int, events: dict, controlled: bool) -> None:
        self._ai(0, i, events, controlled)

    def _ai_right_player(self, j: int, events: dict) -> None:
        self._ai(1, j, events, False)

    def _home(self, team: int, i: int) -> np.ndarray:
        spec = (self.scenario.left if team == 0 else self.scenario.right)[i]
        return np.array([spec[0] * 0.6, spec[1]])

    # -- mechanics ------------------------------------------------------------------------------
    def _restart_blocks(self, team: int) -> bool:
        """During a restart the team not taking it holds still."""
        st = self.state
        return st.game_mode != NORMAL and st.restart_team != team

    def _move_player(self, team: int, i: int, velocity: np.ndarray) -> None:
        pos, dirs, _ = self._team_arrays(team)
        pos[i] = np.clip(pos[i] + velocity, [-PITCH_X - 0.05, -PITCH_Y - 0.05], [PITCH_X + 0.05, PITCH_Y + 0.05])
        dirs[i] = velocity

    def _move_towards(self, team: int, i: int, target: np.ndarray, speed: float) -> None:
        pos, dirs, _ = self._team_arrays(team)
        delta = target - pos[i]
        dist = float(np.linalg.norm(delta))
        if dist < 1e-4:
            dirs[i] = 0.0
            return
        self._move_player(team, i, delta / dist * min(speed, dist))

    def _release_ball(self, team: int, i: int, velocity: np.ndarray, vz: float = 0.0) -> None:
        st = self.state
        st.owner_team, st.owner_player = -1, -1
        st.last_touch_team = team
        st.ball_dir = np.array([velocity[0], velocity[1], vz])
        st.game_mode, st.restart_team = NORMAL, -1

    def _start_kick(self, team: int, i: int, kind: str, direction) -> None:
        """Press a shot ("shot") or pass ("short", "long", "high"): the ball leaves after KICK_WINDUP steps."""
        if self.state.kick is None:
            self.state.kick = [team, i, kind, KICK_WINDUP[kind], direction]

    def _advance_kick(self, events: dict) -> None:
        """Count a pending kick down; it is played when due, dropped if the kicker lost the ball meanwhile."""
        st = self.state
        if st.kick is None:
            return
        team, i, kind, left, direction = st.kick
        if (st.owner_team, st.owner_player) != (team, i):
            st.kick = None
            return
        st.kick[3] = left - 1
        if st.kick[3] > 0:
            return
        st.kick = None
        if kind == "shot":
            self._shoot(team, i, events)
        else:
            self._pass(team, i, kind, direction, events)

    def _pass(self, team: int, i: int, kind: str, direction, events: dict) -> None:
        st = self.state
        pos, _, roles = self._team_arrays(team)
        me = pos[i]
        sign = 1.0 if team == 0 else -1.0
        want = np.array(direction if direction is not None else (sign, 0.0))
        best, best_score = -1, -np.inf
        for k in range(len(pos)):
            if k == i:
                continue
            v = pos[k] - me
            d = float(np.linalg.norm(v))
            if d < 1e-6:
                continue
            align = float(np.dot(v / d, want))
            ideal = {"short": 0.2, "long": 0.5, "high": 0.45}[kind]
            score = 2.0 * align - abs(d - ideal) - (1.0 if roles[k] == GK else 0.0)
            if score > best_score:
                best, best_score = k, score
        if best < 0:
            return
        target = pos[best] + self._team_arrays(team)[1][best] * 8  # lead the receiver a little
        v = target - me
        d = max(float(np.linalg.norm(v)), 1e-6)
        if kind == "high":  # in the air for ~30 steps, over the heads of defenders
            speed, vz = min(PASS_SPEED[kind], d / 26.0), 0.015
        else:
            speed, vz = min(PASS_SPEED[kind], d * (1 - BALL_FRICTION) * 1.6 + 0.012), 0.0
        self._release_ball(team, i, v / d * speed, vz)
        st.pass_from, st.pass_kind, st.pass_receiver = (team, i), kind, best
        st.shot_in_flight = False

    def _shoot(self, team: int, i: int, events: dict) -> None:
        st = self.state
        pos, _, _ = self._team_arrays(team)
        sign = 1.0 if team == 0 else -1.0
        me = pos[i]
        aim_y = float(self.rng.uniform(-GOAL_Y * 0.9, GOAL_Y * 0.9))
        target = np.array([sign * (PITCH_X + 0.05), aim_y])
        v = target - me
        d = max(float(np.linalg.norm(v)), 1e-6)
        spread = float(self.rng.normal(0.0, 0.02 * d))
        direction = v / d + np.array([-v[1] / d, v[0] / d]) * spread
        self._release_ball(team, i, direction / np.linalg.norm(direction) * SHOT_SPEED, 0.004)
        st.shot_in_flight = True
        st.pass_from = None
        if team == 0:
            events["shot"] = (me.copy(), aim_y)

    def _tackle(self, team: int, i: int, reach: float, p: float) -> None:
        st = self.state
        if st.owner_team != 1 - team:
            return
        pos, _, _ = self._team_arrays(team)
        opp, _, _ = self._team_arrays(1 - team)
        holder = opp[st.owner_player]
        if np.linalg.norm(pos[i] - holder) > reach:
            return
        p_win = p * (0.5 if (st.owner_team == 0 and st.sticky[9]) else 1.0)
        if self.rng.random() < p_win:
            st.stun[(st.owner_team, st.owner_player)] = 4
            st.owner_team, st.owner_player = team, i
            st.last_touch_team = team
            st.ball_dir[:] = 0.0
            st.pass_from = None

    def _physics(self, events: dict) -> None:
        st = self.state
        st.stun = {k: v - 1 for k, v in st.stun.items() if v > 1}
        self._advance_kick(events)
        if st.game_mode != NORMAL:
            st.restart_timer -= 1
            if st.restart_timer <= 0:
                st.game_mode, st.restart_team = NORMAL, -1
        if st.owner_team >= 0:  # carried: in front of the owner
            pos, dirs, _ = self._team_arrays(st.owner_team)
            d = dirs[st.owner_player]
            n = float(np.linalg.norm(d))
            ahead = d / n * 0.012 if n > 1e-9 else np.zeros(2)
            st.ball[:2] = pos[st.owner_player] + ahead
            st.ball[2] = 0.0
            st.ball_dir = np.array([d[0], d[1], 0.0])
        else:
            st.ball += st.ball_dir
            if st.ball[2] > 0 or st.ball_dir[2] > 0:
                st.ball_dir[2] -= GRAVITY * 0.1
                st.ball_dir[:2] *= BALL_AIR_FRICTION
                if st.ball[2] <= 0:
                    st.ball[2], st.ball_dir[2] = 0.0, 0.0
            else:
                st.ball_dir[:2] *= BALL_FRICTION
            self._check_out_of_play(events)
            if st.game_mode == NORMAL and st.owner_team < 0:
                self._collect_ball(events)
        # the controlled left player: the carrier, else the one nearest the ball
        if st.owner_team == 0:
            st.active = st.owner_player
        elif st.owner_team != 0:
            d = np.linalg.norm(st.left - st.ball[:2], axis=1)
            d[self.left_roles == GK] += 0.3
            st.active = int(np.argmin(d))
        for team in (0, 1):
            pos, dirs, _ = self._team_arrays(team)
            tired = st.left_tired if team == 0 else st.right_tired
            moving = np.linalg.norm(dirs, axis=1) > RUN_SPEED * 1.2
            tired[:] = np.clip(tired + np.where(moving, 0.002, -0.001), 0.0, 1.0)

    def _collect_ball(self, events: dict) -> None:
        st = self.state
        if st.ball[2] > 0.03:
            return
        speed = float(np.linalg.norm(st.ball_dir[:2]))
        best, best_d = None, CONTROL_RADIUS + speed * 0.5
        for team in (0, 1):
            pos, _, roles = self._team_arrays(team)
            d = np.linalg.norm(pos - st.ball[:2], axis=1)
            for k in np.argsort(d)[:2]:
                if st.pass_from == (team, int(k)) and speed > 0.01:
                    continue  # the passer does not collect their own pass
                if (team, int(k)) in st.stun:
                    continue
                reach = d[k] * (0.6 if roles[k] == GK else 1.0)  # keepers reach further
                if reach < best_d:
                    best, best_d = (team, int(k)), reach
        if best is None:
            return
        team, k = best
        if st.shot_in_flight and st.last_touch_team != team:
            # a shot is hard to stop: keepers save some, outfield players block fewer
            roles = self._team_arrays(team)[2]
            if self.rng.random() > (0.45 if roles[k] == GK else 0.25):
                return
        if st.pass_from is not None and st.pass_from[0] == team == 0 and k != st.pass_from[1]:
            events["pass_completed"] = True
        st.owner_team, st.owner_player = team, k
        st.last_touch_team = team
        st.ball_dir[:] = 0.0
        st.pass_from, st.shot_in_flight = None, False

    def _check_out_of_play(self, events: dict) -> None:
        st = self.state
        x, y, z = st.ball
        if abs(y) > PITCH_Y:  # throw-in for the team that did not touch it last
            events["out"] = True
            self._restart(THROW_IN, 1 - st.last_touch_team, np.array([x, math.copysign(PITCH_Y, y)]))
        elif abs(x) > PITCH_X:
            if abs(y) < GOAL_Y and z < GOAL_HEIGHT:
                scorer = 0 if x > 0 else 1
                st.score[scorer] += 1
                self._kick_off(1 - scorer)
                return
            events["out"] = True
            defending = 1 if x > 0 else 0
            if st.last_touch_team == defending:
                self._restart(CORNER, 1 - defending, np.array([math.copysign(PITCH_X, x), math.copysign(PITCH_Y, y)]))
            else:
                self._restart(GOAL_KICK, defending, np.array([math.copysign(PITCH_X - 0.1, x), 0.0]))

    def _restart(self, mode: int, team: int, spot: np.ndarray) -> None:
        st = self.state
        pos, dirs, roles = self._team_arrays(team)
        d = np.linalg.norm(pos - spot, axis=1)
        if mode != GOAL_KICK:
            d[roles == GK] = np.inf
        k = int(np.argmin(d))
        pos[k] = spot
        st.ball[:] = (spot[0], spot[1], 0.0)
        st.ball_dir[:] = 0.0
        st.owner_team, st.owner_player = team, k
        st.last_touch_team = team
        st.game_mode, st.restart_team, st.restart_timer = mode, team, 3
        st.pass_from, st.shot_in_flight = None, False

    def _kick_off(self, team: int) -> None:
        st = self.state
        sc = self.scenario
        st.left[:] = [[x, y] for x, y, _ in sc.left]
        st.right[:] = [[x, y] for x, y, _ in sc.right]
        pos, _, roles = self._team_arrays(team)
        k = int(np.argmin(np.where(roles == GK, np.inf, np.linalg.norm(pos, axis=1))))
        pos[k] = (-0.01 if team == 0 else 0.01, 0.0)
        self._restart(KICK_OFF, team, pos[k].copy())

    # -- reward ---------------------------------------------------------------------------------
    def _opponents_passed(self) -> int:
        st = self.state
        return int(np.sum(st.right[:, 0] < st.ball[0]))

    def _reward(self, before, events: dict) -> dict[str, float]:
        st, rs = self.state, self._reward_state
        terms = {
            "progress": 0.0,
            "opponents_passed": 0.0,
            "goal": 0.0,
            "possession_lost": 0.0,
            "pass": 0.0,
            "shot": 0.0,
        }
        if st.owner_team == 0:
            gain = float(st.ball[0]) - rs["best_x"]
            if gain > 0:
                terms["progress"] = W_PROGRESS * gain
                rs["best_x"] = float(st.ball[0])
            passed = self._opponents_passed()
            terms["opponents_passed"] = W_PASSED_OPPONENTS * (passed - rs["passed"]) / self.n_right
            rs["passed"] = passed
        goals_for, goals_against = st.score[0] - before[2][0], st.score[1] - before[2][1]
        terms["goal"] = W_GOAL * (goals_for - goals_against)
        if goals_for or goals_against:
            rs["best_x"], rs["passed"] = float(st.ball[0]), self._opponents_passed()
        if st.owner_team == 1 and before[0] != 1 and not goals_for:
            terms["possession_lost"] = -W_POSSESSION_LOST * (self.max_steps - st.steps) / self.max_steps
        if events["pass_completed"]:
            terms["pass"] = W_PASS * rs["pass_scale"]
            rs["pass_scale"] *= 0.75
        if events["shot"] is not None:
            origin, aim_y = events["shot"]
            terms["shot"] = min(W_SHOT * self._shot_clearance(origin, aim_y) * self._shot_distance(origin), 2 / 3)
        return terms

    def _shot_clearance(self, origin: np.ndarray, aim_y: float) -> float:
        """Distance from the shot's path to the nearest opponent, scaled to [0, 1] at 0.1 pitch units."""
        target = np.array([PITCH_X, aim_y])
        seg = target - origin
        length2 = float(seg @ seg) or 1e-9
        rel = self.state.right - origin
        t = np.clip(rel @ seg / length2, 0.0, 1.0)
        closest = origin + t[:, None] * seg
        d = float(np.min(np.linalg.norm(self.state.right - closest, axis=1)))
        return min(d / 0.1, 1.0)

    @staticmethod
    def _shot_distance(origin: np.ndarray) -> float:
        dist = PITCH_X - float(origin[0])
        return 1.0 if dist < 0.3 else max(1.0 - dist, 0.0)

    # -- observation ----------------------------------------------------------------------------
    def observation(self) -> dict[str, Any]:
        """GRF's raw observation fields; ``frame`` is a placeholder the environment fills (kept at its place
        among the keys, as the observation has always listed them)."""
        st = self.state
        f32 = np.float32
        obs = {
            "ball": np.clip(st.ball, [-2, -2, 0], [2, 2, 2]).astype(f32),
            "ball_direction": np.clip(st.ball_dir, -1, 1).astype(f32),
            "ball_rotation": np.zeros(3, f32),
            "ball_owned_team": int(st.owner_team),
            "ball_owned_player": int(st.owner_player),
            "active": int(st.active),
            "designated": int(st.active),
            "sticky_actions": st.sticky.astype(np.int8),
            "score": np.array(st.score, np.int64),
            "steps_left": np.array(max(self.max_steps - st.steps, 0), np.int64),
            "game_mode": int(st.game_mode),
            "frame": None,
        }
        for side, pos, dirs, tired, roles in (
            ("left", st.left, st.left_dir, st.left_tired, self.left_roles),
            ("right", st.right, st.right_dir, st.right_tired, self.right_roles),
        ):
            n = len(pos)
            obs[f"{side}_team"] = np.clip(pos, -2, 2).astype(f32)
            obs[f"{side}_team_direction"] = np.clip(dirs, -1, 1).astype(f32)
            obs[f"{side}_team_tired_factor"] = tired.astype(f32)
            obs[f"{side}_team_yellow_card"] = np.zeros(n, np.int8)
            obs[f"{side}_team_active"] = np.ones(n, np.int8)
            obs[f"{side}_team_roles"] = roles.copy()
        return obs
