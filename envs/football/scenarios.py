"""Football scenarios: lmmr1's built-in ones and scenario files in GRF's / MageBench's format.

A scenario is the starting positions and roles of both teams, the ball's spot and the episode settings.
MageBench's Football-Online scenarios (``resources/Football/R*_*.py``) are GRF scenario files: a
``build_scenario(builder)`` function setting ``builder.config().game_duration`` and friends, then
``builder.SetBallPosition(x, y)``, ``builder.SetTeam(Team.e_Left|e_Right)`` and
``builder.AddPlayer(x, y, e_PlayerRole_XX[, lazy[, controllable]])``. :func:`load_scenario_file` reads such
a file **as data** (Python's ``ast``; nothing in it is executed) and refuses, with the file and line,
anything it does not understand.

Coordinates: GRF gives each team's players in that team's own frame (its goal at x = -1), so a file's
right-team positions are mirrored, (x, y) -> (-x, -y), to the observation frame a ``Scenario`` holds (the
left team attacks x = +1). ``engine="gfootball"`` mirrors them back when it hands a scenario to GRF.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

# GRF's pitch: x in [-1, 1], y in [-0.42, 0.42], goals at x = +-1 with |y| < 0.044
PITCH_X, PITCH_Y = 1.0, 0.42
GOAL_Y = 0.044
# player roles (GRF's e_PlayerRole numbering)
GK, CB, LB, RB, DM, CM, LM, RM, AM, CF = range(10)
ROLE_NAMES = ("GK", "CB", "LB", "RB", "DM", "CM", "LM", "RM", "AM", "CF")


class ScenarioError(ValueError):
    """A scenario file lmmr1 cannot read (the message names the file and line)."""


@dataclass(frozen=True)
class Scenario:
    """Starting positions (x, y) and roles; the left team's first player is its keeper when role GK."""

    left: tuple[tuple[float, float, int], ...]
    right: tuple[tuple[float, float, int], ...]
    ball: tuple[float, float]
    end_on_score: bool = True
    end_on_out_of_play: bool = False
    end_on_possession_change: bool = False
    max_steps: int = 400
    # settings of the file that lmmr1's engine does not model (recorded for the user to see)
    not_modelled: tuple[str, ...] = ()
    # GRF settings without a field above (``deterministic``, ``offsides``, ...), applied by engine="gfootball"
    grf_settings: tuple[tuple[str, bool | int | float], ...] = ()
    # per player (lazy, controllable), GRF's AddPlayer extras; empty = GRF's defaults (False, True)
    left_flags: tuple[tuple[bool, bool], ...] = ()
    right_flags: tuple[tuple[bool, bool], ...] = ()

    def flags(self, side: str) -> tuple[tuple[bool, bool], ...]:
        """(lazy, controllable) of each player of ``side`` ("left" or "right")."""
        players, flags = (self.left, self.left_flags) if side == "left" else (self.right, self.right_flags)
        return flags or tuple((False, True) for _ in players)


def _formation_442(side: int) -> tuple[tuple[float, float, int], ...]:
    """A 4-4-2 in the left team's frame; side=-1 mirrors it for the right team."""
    base = [
        (-0.99, 0.0, GK),
        (-0.55, -0.25, LB),
        (-0.6, -0.08, CB),
        (-0.6, 0.08, CB),
        (-0.55, 0.25, RB),
        (-0.3, -0.27, LM),
        (-0.33, -0.09, CM),
        (-0.33, 0.09, CM),
        (-0.3, 0.27, RM),
        (-0.06, -0.08, CF),
        (-0.02, 0.08, CF),
    ]
    return tuple((side * x, side * y, r) for x, y, r in base)


SCENARIOS: dict[str, Scenario] = {
    # GRF's academy scenarios, GRF 2.10.2's positions, roles and settings (right team in the observation
    # frame), so a name starts the same game on both engines
    "academy_empty_goal_close": Scenario(
        left=((-1.0, 0.0, GK), (0.75, 0.0, CB)),
        right=((-1.0, 0.0, GK),),  # the only opponent keeps the far goal: the near one is empty
        ball=(0.77, 0.0),
        end_on_out_of_play=True,
        end_on_possession_change=True,
    ),
    "academy_run_to_score_with_keeper": Scenario(
        left=((-1.0, 0.0, GK), (0.0, 0.0, CB)),
        right=(
            (1.0, 0.0, GK),
            (-0.12, -0.2, LB),
            (-0.12, -0.1, CB),
            (-0.12, 0.0, CM),
            (-0.12, 0.1, CB),
            (-0.12, 0.2, RB),
        ),
        ball=(0.02, 0.0),
        end_on_out_of_play=True,
        end_on_possession_change=True,
    ),
    "academy_3_vs_1_with_keeper": Scenario(
        left=((-1.0, 0.0, GK), (0.6, 0.0, CM), (0.7, 0.2, CM), (0.7, -0.2, CM)),
        right=((1.0, 0.0, GK), (0.75, 0.0, CB)),
        ball=(0.62, 0.0),
        end_on_out_of_play=True,
        end_on_possession_change=True,
    ),
    # lmmr1's full games (GRF's own 5_vs_5 / 11_vs_11_* alternate sides per episode and use lazy keepers;
    # engine="gfootball" runs GRF's files under their names)
    "5_vs_5": Scenario(
        left=((-0.99, 0.0, GK), (-0.5, -0.15, CB), (-0.5, 0.15, CB), (-0.15, -0.1, CM), (-0.02, 0.05, CF)),
        right=((0.99, 0.0, GK), (0.5, 0.15, CB), (0.5, -0.15, CB), (0.2, 0.1, CM), (0.2, -0.1, CF)),
        ball=(0.0, 0.0),
        end_on_score=False,
        max_steps=3000,
    ),
    "11_vs_11": Scenario(
        left=_formation_442(1), right=_formation_442(-1), ball=(0.0, 0.0), end_on_score=False, max_steps=3000
    ),
}


# GRF config keys of a scenario file -> Scenario fields; others are recorded as not modelled
_CONFIG_FIELDS = {
    "game_duration": "max_steps",
    "end_episode_on_score": "end_on_score",
    "end_episode_on_out_of_play": "end_on_out_of_play",
    "end_episode_on_possession_change": "end_on_possession_change",
}
_NOT_MODELLED = (
    "deterministic",
    "offsides",
    "right_team_difficulty",
    "left_team_difficulty",
    "second_half",
    "control_all_players",
)


def _number(node: ast.AST, where: str) -> float:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_number(node.operand, where)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    raise ScenarioError(f"{where}: expected a number, found {ast.dump(node)[:60]}")


def _role(node: ast.AST, where: str) -> int:
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    short = name.rsplit("_", 1)[-1]
    if short not in ROLE_NAMES:
        raise ScenarioError(f"{where}: unknown player role {name or ast.dump(node)[:40]!r}")
    return ROLE_NAMES.index(short)


def _flag(node: ast.AST, where: str, name: str) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return node.value
    raise ScenarioError(f"{where}: AddPlayer's {name} must be True or False")


def _player_flags(call: ast.Call, where: str) -> tuple[bool, bool]:
    """GRF's ``AddPlayer(x, y, role, lazy=False, controllable=True)`` extras, by position or keyword."""
    if len(call.args) > 5:
        raise ScenarioError(f"{where}: AddPlayer takes at most (x, y, role, lazy, controllable)")
    values = {"lazy": False, "controllable": True}
    for name, node in zip(("lazy", "controllable"), call.args[3:]):
        values[name] = _flag(node, where, name)
    for kw in call.keywords:
        if kw.arg not in values:
            raise ScenarioError(f"{where}: unknown AddPlayer argument {kw.arg!r} (accepted: lazy, controllable)")
        values[kw.arg] = _flag(kw.value, where, kw.arg)
    return values["lazy"], values["controllable"]


def load_scenario_file(path: str | Path) -> Scenario:
    """A GRF / MageBench scenario file, parsed as data (never executed)."""
    path = Path(path)
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read a scenario from it ({exc})") from None
    build = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "build_scenario"), None)
    if build is None:
        raise ScenarioError(f"{path}: no build_scenario(builder) function (GRF's scenario format)")
    settings: dict[str, object] = {}
    not_modelled: list[str] = []
    ball: tuple[float, float] | None = None
    teams: dict[str, list[tuple[float, float, int]]] = {"left": [], "right": []}
    flags: dict[str, list[tuple[bool, bool]]] = {"left": [], "right": []}
    grf_settings: list[tuple[str, bool | int | float]] = []
    team = None
    for stmt in build.body:
        where = f"{path}:{stmt.lineno}"
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Attribute):
            key = stmt.targets[0].attr
            if not isinstance(stmt.value, ast.Constant):
                raise ScenarioError(f"{where}: config().{key} must be a constant")
            if key in _CONFIG_FIELDS:
                settings[_CONFIG_FIELDS[key]] = stmt.value.value
            elif key in _NOT_MODELLED:
                not_modelled.append(f"{key}={stmt.value.value!r}")
                grf_settings.append((key, stmt.value.value))
            else:
                raise ScenarioError(f"{where}: unknown setting config().{key}")
            continue
        if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
            raise ScenarioError(f"{where}: only builder calls and config() settings are read")
        call = stmt.value
        method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
        if method == "SetBallPosition":
            ball = (_number(call.args[0], where), _number(call.args[1], where))
        elif method == "SetTeam":
            arg = call.args[0]
            side = arg.attr if isinstance(arg, ast.Attribute) else getattr(arg, "id", "")
            if side not in ("e_Left", "e_Right"):
                raise ScenarioError(f"{where}: SetTeam expects Team.e_Left or Team.e_Right")
            team = "left" if side == "e_Left" else "right"
        elif method == "AddPlayer":
            if team is None:
                raise ScenarioError(f"{where}: AddPlayer before SetTeam")
            if len(call.args) < 3:
                raise ScenarioError(f"{where}: AddPlayer(x, y, role) needs three arguments")
            x, y = _number(call.args[0], where), _number(call.args[1], where)
            if team == "right":  # the file's right team is in its own frame: mirror to the observation frame
                x, y = -x, -y
            teams[team].append((x + 0.0, y + 0.0, _role(call.args[2], where)))  # + 0.0: no -0.0
            flags[team].append(_player_flags(call, where))
            if flags[team][-1] != (False, True):
                lazy, controllable = flags[team][-1]
                not_modelled.append(f"AddPlayer(lazy={lazy}, controllable={controllable}) at line {stmt.lineno}")
        else:
            raise ScenarioError(f"{where}: unknown builder call {method or ast.dump(call.func)[:40]!r}")
    if ball is None:
        raise ScenarioError(f"{path}: no SetBallPosition(x, y)")
    if not teams["left"] or not teams["right"]:
        raise ScenarioError(f"{path}: both teams need players (SetTeam + AddPlayer)")
    return Scenario(
        left=tuple(teams["left"]),
        right=tuple(teams["right"]),
        ball=ball,
        end_on_score=bool(settings.get("end_on_score", True)),
        end_on_out_of_play=bool(settings.get("end_on_out_of_play", False)),
        end_on_possession_change=bool(settings.get("end_on_possession_change", False)),
        max_steps=int(settings.get("max_steps", 400)),
        not_modelled=tuple(not_modelled),
        grf_settings=tuple(grf_settings),
        left_flags=tuple(flags["left"]),
        right_flags=tuple(flags["right"]),
    )


def resolve_scenario(scenario: str | Path | Scenario) -> tuple[str, Scenario]:
    """``(name, Scenario)`` for a built-in name, a scenario file path or a Scenario."""
    if isinstance(scenario, Scenario):
        return "custom", scenario
    text = str(scenario)
    if text in SCENARIOS:
        return text, SCENARIOS[text]
    if text.endswith(".py") or Path(text).is_file():
        return Path(text).stem, load_scenario_file(text)
    raise ValueError(
        f"unknown scenario {text!r}; available: {', '.join(SCENARIOS)}, or a GRF/MageBench scenario file (.py)"
    )
