"""Agent benchmarks of Table 3: Sokoban-Global and Football-Online, played in lmmr1's environments.

* **Sokoban-Global** (MageBench's scoring): one image of the level; the model answers the whole move list;
  the moves are replayed in ``lmmr1/Sokoban-v0`` with gym-sokoban's rewards, and a level scores
  ``(best running reward - the level's upper bound) x 5 + 100`` (the upper bound scores 100). The upper
  bound is ``upper_bound`` when the level file has it, else ``10 + boxes - 0.1 x optimal_moves``
  (``lmmr1 data generate sokoban --solve`` records ``optimal_moves``). Levels from lmmr1's generator are not
  MageBench's, so the number is labelled with the environment that produced it.
* **Football-Online**: one action per step from the rendered frame in ``lmmr1/Football-v0`` with MageBench's
  reward and auto-acting rule; the score is the mean episode return (MageBench's x20 scale included). The
  engine is lmmr1's light 2D football by default (not comparable with the paper's GRF numbers, and labelled
  so) or Google Research Football itself (``engine="gfootball"``, ``lmmr1 eval --option football_online.engine=gfootball``),
  which is what MageBench ran.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional

from lmmr1.eval.core import Benchmark, BenchmarkOption, EvalDataError, GenSettings, Item, LoadResult, user_message
from lmmr1.eval.loaders import read_jsonl
from lmmr1.prompts import SOKOBAN_GLOBAL_INSTRUCTION, SYSTEM_PROMPT, football_prompt

Policy = Callable[[list[dict[str, Any]], list[bytes], GenSettings], str]


def _png(frame: Any) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, format="PNG")
    return buffer.getvalue()


class SokobanGlobal(Benchmark):
    name = "sokoban_global"
    title = "Sokoban-Global"
    kind = "agent"
    expects = (
        "levels.jsonl as written by `lmmr1 data generate sokoban --solve` (id, xsb, boxes, optimal_moves) or with "
        "an upper_bound per level"
    )
    environment = "lmmr1/Sokoban-v0 (lmmr1's generator, gym-sokoban rules and rewards)"

    def load(self, root: Path) -> LoadResult:
        path = root / "levels.jsonl"
        if not path.exists():
            raise EvalDataError(
                f"{self.name}: {path} does not exist. Write a level set with "
                f"`lmmr1 data generate sokoban --n 200 --solve --output {root}`."
            )
        rows = read_jsonl(path, self.name)
        items = []
        for i, r in enumerate(rows):
            if "xsb" not in r:
                raise EvalDataError(f"{self.name}: {r['_file']}: no 'xsb' field (the level's XSB text)")
            upper = r.get("upper_bound")
            if upper is None:
                if r.get("optimal_moves") is None:
                    raise EvalDataError(
                        f"{self.name}: {r['_file']}: neither 'upper_bound' nor 'optimal_moves'; "
                        "generate the set with `lmmr1 data generate sokoban --solve`"
                    )
                upper = (
                    10.0
                    + float(r.get("boxes", r["xsb"].count("$") + r["xsb"].count("*")))
                    - 0.1 * float(r["optimal_moves"])
                )
            items.append(
                Item(
                    str(r.get("id", i)),
                    SOKOBAN_GLOBAL_INSTRUCTION.replace("<image>\n", ""),
                    float(upper),
                    meta={"xsb": r["xsb"]},
                )
            )
        return LoadResult(items, [str(path)], len(rows))

    def play(self, item: Item, policy: Policy, protocol: str, settings: GenSettings) -> dict[str, Any]:
        from lmmr1.envs.sokoban import SokobanEnv
        from lmmr1.rewards.sokoban import MOVES, answer_items, replay_best_return

        env = SokobanEnv()
        frame, _ = env.reset(options={"level": item.meta["xsb"]})
        messages = [{"role": "system", "content": SYSTEM_PROMPT}, user_message(item.question, 1)]
        response = policy(messages, [_png(frame)], settings)
        moves = answer_items(response or "") or []
        best, solved = replay_best_return(item.meta["xsb"], [MOVES[m] for m in moves])
        score = (best - item.gold) * 5.0 + 100.0
        return {
            "response": response,
            "extracted": ", ".join(moves) if moves else None,
            "correct": bool(solved),
            "score": score,
            "best_return": best,
        }

    def aggregate(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        scores = [float(r["score"]) for r in records if r.get("score") is not None]
        return {
            "score": sum(scores) / len(scores) if scores else None,
            "n": len(records),
            "solved": sum(1 for r in records if r.get("correct")),
            "environment": self.environment,
        }


class FootballOnline(Benchmark):
    name = "football_online"
    title = "Football-Online"
    kind = "agent"
    expects = (
        "games.jsonl (id, scenario, seed per line) or the train.parquet of `lmmr1 data generate football` "
        "(extra_info: scenario, seed)"
    )
    environment = "lmmr1/Football-v0 (lmmr1's 2D football, not Google Research Football)"
    steps = 400  # MageBench's episode length
    options = {
        "steps": BenchmarkOption(steps, "episode length in game steps (MageBench: 400)", whole_number=True),
        "engine": BenchmarkOption(
            "lmmr1",
            "lmmr1's 2D football, or gfootball: Google Research Football as MageBench ran it "
            "(scripts/install_gfootball.sh)",
            choices=("lmmr1", "gfootball"),
        ),
        "frame": BenchmarkOption(
            "2d",
            "what the model sees: lmmr1's 2D picture (either engine), or grf: GRF's own 3D render at 1280x720 "
            "as in MageBench (engine=gfootball; 1-2 steps/s with software GL)",
            choices=("2d", "grf"),
        ),
    }

    def check_options(self, values: dict[str, Any]) -> None:
        if values["frame"] == "grf" and values["engine"] != "gfootball":
            raise EvalDataError(
                "--option football_online.frame=grf is GRF's own render: add --option football_online.engine=gfootball"
            )
        if values["engine"] == "gfootball":
            from lmmr1.envs.football.gfootball_engine import require_gfootball

            try:
                require_gfootball()
            except (ModuleNotFoundError, RuntimeError) as exc:
                raise EvalDataError(f"--option football_online.engine=gfootball: {exc}") from None

    grf_frame_size = (1280, 720)  # GRF's render size, what MageBench showed its models

    @staticmethod
    def environment_of(engine: str, frame: str = "2d") -> str:
        """What a Football-Online number was measured on, for the summary and the report."""
        if engine == "gfootball":
            import importlib.metadata

            shown = "GRF's 3D frame 1280x720" if frame == "grf" else "lmmr1's 2D frame"
            version = importlib.metadata.version("gfootball")
            return f"Google Research Football {version} (lmmr1/Football-v0, engine=gfootball, {shown})"
        return FootballOnline.environment

    def load(self, root: Path) -> LoadResult:
        games = root / "games.jsonl"
        if games.exists():
            rows = read_jsonl(games, self.name)
            files = [str(games)]
        else:
            parquet = root / "train.parquet"
            if not parquet.exists():
                raise EvalDataError(
                    f"{self.name}: neither {games} nor {parquet} exists. Write games with "
                    f"`lmmr1 data generate football --n 20 --output {root}`."
                )
            import pyarrow.parquet as pq

            rows = []
            for i, r in enumerate(pq.read_table(parquet, columns=["extra_info"]).to_pylist()):
                extra = r["extra_info"] or {}
                rows.append(
                    {
                        "id": extra.get("id", i),
                        "scenario": extra.get("scenario"),
                        "seed": extra.get("seed", i),
                        "_file": f"{parquet}:row {i}",
                    }
                )
            files = [str(parquet)]
        from lmmr1.envs.football import SCENARIOS

        items = []
        for i, r in enumerate(rows):
            scenario = r.get("scenario")
            if scenario not in SCENARIOS and not (str(scenario).endswith(".py") and Path(str(scenario)).is_file()):
                raise EvalDataError(
                    f"{self.name}: {r['_file']}: scenario {scenario!r} is not one of {sorted(SCENARIOS)} "
                    "nor a GRF/MageBench scenario file (.py) that exists"
                )
            items.append(
                Item(str(r.get("id", i)), "", None, meta={"scenario": scenario, "seed": int(r.get("seed", i))})
            )
        return LoadResult(items, files, len(rows))

    def play(
        self,
        item: Item,
        policy: Policy,
        protocol: str,
        settings: GenSettings,
        steps: Optional[int] = None,
        engine: str = "lmmr1",
        frame: str = "2d",
    ) -> dict[str, Any]:
        from lmmr1.envs.football import ACTION_NAMES, FootballEnv

        # MageBench's reward (its x20 scale included) and auto-acting rule, on the chosen engine and frame
        env = FootballEnv(
            scenario=item.meta["scenario"],
            max_steps=int(steps or self.steps),
            reward="magebench",
            auto_acting=True,
            engine=engine,
            frame=frame,
            **({"frame_size": self.grf_frame_size} if frame == "grf" else {}),
        )
        obs, _ = env.reset(seed=item.meta["seed"])
        system, user = football_prompt(ACTION_NAMES)
        instruction = user["content"].replace("<image>\n", "")
        total, invalid, last = 0.0, 0, ""
        goals = 0
        while True:  # the environment truncates at `steps`
            messages = [system, user_message(instruction, 1)]
            last = policy(messages, [_png(obs["frame"])], settings) or ""
            action = self._action(last)
            if action is None:
                invalid += 1
                action = 0  # idle, as MageBench does for an unreadable answer
            obs, reward, terminated, truncated, info = env.step(action)
            total += float(reward)
            goals = int(obs["score"][0])
            if terminated or truncated:
                break
        env.close()  # GRF's engine (and its one renderer) go back to its pool for the next game
        return {
            "response": last,
            "extracted": None,
            "correct": goals > 0,
            "score": total,
            "episode_return": total,
            "invalid_answers": invalid,
            "engine": engine,
            "frame": frame,
        }

    @staticmethod
    def _action(response: str) -> Optional[int]:
        from lmmr1.envs.football import action_from_text

        m = re.findall(r"<answer>(.*?)</answer>", response, re.DOTALL)
        return action_from_text(m[-1] if m else response)

    def aggregate(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        scores = [float(r["score"]) for r in records if r.get("score") is not None]
        return {
            "score": sum(scores) / len(scores) if scores else None,
            "n": len(records),
            "games_with_goal": sum(1 for r in records if r.get("correct")),
            "environment": "; ".join(
                self.environment_of(e, f)
                for e, f in sorted(
                    {(r.get("engine", "lmmr1"), r.get("frame", "2d")) for r in records} or {("lmmr1", "2d")}
                )
            ),
        }
