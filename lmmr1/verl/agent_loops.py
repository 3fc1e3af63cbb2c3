"""verl agent loops that let a policy play lmmr1's environments turn by turn ("online").

* ``sokoban_online`` (:class:`SokobanOnlineAgentLoop`): each model turn gives a few moves; the loop plays them
  in ``lmmr1/Sokoban-v0`` and answers with the new frame (or XSB text for a text-only model).
* ``football_online`` (:class:`FootballOnlineAgentLoop`): each model turn gives one GRF action name; the loop
  plays it in ``lmmr1/Football-v0`` and answers with the new frame.

Tokens the environment adds get ``response_mask`` 0, model tokens 1 (verl's Continuous Token builder does the
bookkeeping); the episode's environment return goes back to the trainer as ``AgentLoopOutput.reward_score``
(so verl's reward function is not called for these rows), with per-turn rewards in
``extra_fields["turn_scores"]``, each turn's model tokens as ``[start, end)`` response positions in
``turn_spans`` and the environment's state key before each turn in ``turn_anchors`` (``lmmr1.envs.anchors``;
None with the loop's ``anchor: none``): what the turn-level estimators (``lmmr1.verl.turn_credit``) read.

How verl finds them: rows select a loop by the ``agent_name`` column; verl's agent-loop workers import the
classes named in ``actor_rollout_ref.rollout.agent.agent_loop_config_path`` (a YAML list of ``name`` +
``_target_``, extra keys become constructor arguments). :func:`agent_loop_configs` returns that list and
:func:`write_agent_loop_config` writes it. The classes are deliberately not decorated with verl's
``@register``: that decorator runs when this module is imported, which in verl's worker is at the first
``hydra.utils.instantiate`` of a loop, after the YAML entries were loaded, and it replaced them with entries
without settings, so every episode but a worker's first ran with the defaults (and which episode came first
varied, so ``deterministic=true`` runs could differ). Each loop builds its environment per episode from the row:
Sokoban from ``reward_model.ground_truth`` (XSB), football from ``extra_info`` (``scenario``, ``seed``).
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any

import numpy as np
from PIL import Image
from verl.experimental.agent_loop.agent_loop import AgentLoopBase, AgentLoopOutput
from verl.experimental.agent_loop.single_turn_agent_loop import SingleTurnAgentLoop
from verl.utils.profiler import simple_timer
from verl.utils.rollout_trace import rollout_trace_op

from lmmr1.envs.anchors import anchor_key
from lmmr1.verl.agent_settings import DEFAULT_MAX_TURNS, take_settings
from lmmr1.verl.determinism import SEEDED_SINGLE_TURN, is_deterministic, request_seed, sample_request_id

logger = logging.getLogger(__name__)
logger.setLevel(os.getenv("VERL_LOGGING_LEVEL", "WARN"))

_ANSWER = re.compile(r"<answer>(.*?)(?:</answer>|$)", re.DOTALL | re.IGNORECASE)


def _answer_text(text: str) -> str:
    """The last ``<answer>`` block if there is one, else the whole text."""
    found = _ANSWER.findall(text)
    return found[-1] if found else text


def _as_dict(value: Any) -> dict:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    if hasattr(value, "item"):  # 0-d numpy object arrays from the non-tensor batch
        return _as_dict(value.item())
    return dict(value)


class EnvAgentLoop(AgentLoopBase):
    """Shared turn loop: generate, act in the env, show the result, repeat until done or out of budget.

    Subclasses define ``make_env(row)``, ``parse_actions(text)`` and ``observation_message(...)``.
    Constructor keywords (settable from the agent-loop YAML): ``max_turns``, ``observation`` ("auto": an image
    when the model has a processor, else text; or "image" / "text"), ``max_tokens_per_turn`` (cap on one
    model turn, so a single rambling turn cannot use the whole response budget; default: no cap).
    """

    loop_name = ""  # the loop's name in lmmr1.verl.agent_settings.LOOP_SETTINGS

    def __init__(self, *args, **kwargs):
        settings = take_settings(self.loop_name, kwargs)
        kwargs.pop("name", None)  # the YAML entry's name is passed through by hydra
        kwargs.pop("tools", None)
        super().__init__(*args, **kwargs)
        self.prompt_length = self.rollout_config.prompt_length
        self.response_length = self.rollout_config.response_length
        multi_turn = getattr(self.rollout_config, "multi_turn", None)
        configured = getattr(multi_turn, "max_assistant_turns", None) if multi_turn is not None else None
        self.max_turns = int(settings["max_turns"] or configured or DEFAULT_MAX_TURNS[self.loop_name])
        observation = settings["observation"]
        if observation == "auto":
            observation = "image" if self.processor is not None else "text"
        self.observation = observation
        self.anchor = settings.get("anchor", "none")
        self.invalid_penalty = float(settings["invalid_penalty"])
        cap = settings["max_tokens_per_turn"]
        self.max_tokens_per_turn = int(cap) if cap else None
        self.configure(settings)

    def configure(self, settings: dict[str, Any]) -> None:
        """Take the loop's own settings (all present, defaults filled in, checked)."""

    # -- to be provided by subclasses -----------------------------------------------------------
    def make_env(self, row: dict[str, Any]):
        raise NotImplementedError

    def parse_actions(self, text: str) -> list[int]:
        raise NotImplementedError

    def observation_message(self, env, obs, info, log: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def frame(self, env, obs) -> Image.Image:
        raise NotImplementedError

    # -- the loop ---------------------------------------------------------------------------------
    @rollout_trace_op
    async def run(self, sampling_params: dict[str, Any], **kwargs) -> AgentLoopOutput:
        messages = list(kwargs["raw_prompt"])
        multi_modal_data = await self.process_multi_modal_info(messages)
        images = list(multi_modal_data.get("images") or [])
        mm_processor_kwargs = self._get_mm_processor_kwargs(None)
        self._assert_mm_supported(bool(images) or self.observation == "image")
        env, obs, info = self.make_env(kwargs)

        metrics: dict[str, Any] = {}
        deterministic = is_deterministic(self.rollout_config)
        request_id = sample_request_id(kwargs, deterministic)
        prompt_ids = await self.ct_build_initial_tokens(messages, images=images or None, mm_inputs_out={})
        response_mask: list[int] = []
        response_logprobs: list[float] = []
        use_logprobs = bool(sampling_params.get("logprobs"))
        turn_scores: list[float] = []
        turn_spans: list[list[int]] = []
        turn_anchors: list[str | None] = []
        total_reward, env_steps, invalid_turns, turns, done = 0.0, 0, 0, 0, False
        extra_fields: dict[str, Any] = {}

        while turns < self.max_turns and len(response_mask) < self.response_length:
            turn_params = dict(sampling_params)
            budget = self.response_length - len(response_mask)
            if self.max_tokens_per_turn:
                budget = min(budget, self.max_tokens_per_turn)
            turn_params["max_tokens"] = budget
            turn_anchors.append(anchor_key(env) if self.anchor != "none" else None)
            turn_start = len(response_mask)
            if deterministic:  # one seed per turn: the prompt grows every turn
                turn_params["seed"] = request_seed(request_id, len(prompt_ids), self.rollout_config.seed)
            with simple_timer("generate_sequences", metrics):
                output = await self.server_manager.generate(
                    request_id=request_id,
                    prompt_ids=prompt_ids,
                    sampling_params=turn_params,
                    image_data=images or None,
                    mm_processor_kwargs=mm_processor_kwargs,
                )
            if not extra_fields:
                extra_fields.update(output.extra_fields or {})
            turns += 1
            logprobs = output.log_probs if (use_logprobs and output.log_probs) else None
            merge_result, response_mask, aligned_logprobs = await self.ct_merge_assistant_token(
                prompt_ids,
                output.token_ids,
                response_mask,
                response_logprobs if logprobs is not None else None,
                assistant_logprobs=logprobs,
            )
            prompt_ids = merge_result.token_ids
            turn_spans.append([turn_start, len(response_mask)])
            if aligned_logprobs is not None:
                response_logprobs = aligned_logprobs

            text = self.tokenizer.decode(output.token_ids, skip_special_tokens=True)
            actions = self.parse_actions(text)
            turn_reward, applied = 0.0, []
            if not actions:  # no move could be read: the turn's reward is the invalid-turn penalty, if any
                invalid_turns += 1
                turn_reward -= self.invalid_penalty
            for action in actions:
                obs, reward, terminated, truncated, info = env.step(action)
                env_steps += 1
                turn_reward += float(reward)
                applied.append(action)
                if terminated or truncated:
                    done = True
                    break
            total_reward += turn_reward
            turn_scores.append(turn_reward)
            if done or turns >= self.max_turns or len(response_mask) >= self.response_length:
                break

            # show the new state: a user turn whose tokens are masked out of the loss
            previous = list(messages) + [{"role": "assistant", "content": text}]
            log = {
                "applied": applied,
                "turn_reward": turn_reward,
                "total_reward": total_reward,
                "turn": turns,
                "invalid": not actions,
            }
            user = self.observation_message(env, obs, info, log)
            messages = previous + [user]
            new_images = (
                [
                    block["image"]
                    for block in user["content"]
                    if isinstance(block, dict) and block.get("type") == "image"
                ]
                if isinstance(user["content"], list)
                else []
            )
            merge_result, new_mask, new_logprobs = await self.ct_merge_context_msg(
                previous,
                messages,
                prompt_ids,
                response_mask,
                response_logprobs if response_logprobs else None,
            )
            if len(new_mask) >= self.response_length:
                break  # no room for another model turn
            prompt_ids, response_mask = merge_result.token_ids, new_mask
            if response_logprobs:
                response_logprobs = new_logprobs or []
            images.extend(new_images)

        env.close()  # GRF's engine goes back to its pool; lmmr1's environments hold nothing
        solved = bool(info.get("all_boxes_on_target", False)) if isinstance(info, dict) else False
        response_ids = prompt_ids[len(prompt_ids) - len(response_mask) :] if response_mask else []
        prompt_only = prompt_ids[: len(prompt_ids) - len(response_mask)]
        extra_fields.update(
            {
                "turn_scores": turn_scores,
                "turn_spans": [[min(s, self.response_length), min(e, self.response_length)] for s, e in turn_spans],
                "turn_anchors": turn_anchors,
                "tool_rewards": [],
                "env_reward": total_reward,
                "env_steps": env_steps,
                "env_done": done,
                "solved": solved,
                "invalid_turns": invalid_turns,
            }
        )
        return AgentLoopOutput(
            prompt_ids=prompt_only,
            response_ids=response_ids[: self.response_length],
            response_mask=response_mask[: self.response_length],
            response_logprobs=response_logprobs[: self.response_length] if response_logprobs else None,
            multi_modal_data={"images": images} if images else {},
            mm_processor_kwargs=mm_processor_kwargs,
            reward_score=float(total_reward),
            num_turns=2 * turns,  # user + assistant per turn, as verl counts
            metrics=metrics,
            extra_fields=extra_fields,
        )


# ---------------------------------------------------------------------------------------------
# Sokoban
# ---------------------------------------------------------------------------------------------
_SOKOBAN_MOVE = re.compile(r"\b(up|down|left|right)\b", re.IGNORECASE)


class SokobanOnlineAgentLoop(EnvAgentLoop):
    """Sokoban turn by turn: up to ``max_moves_per_turn`` moves per model turn (Left/Right/Up/Down words
    inside ``<answer>``, or anywhere if there is no answer tag). The level is the row's
    ``reward_model.ground_truth`` (XSB, as written by ``lmmr1 data generate sokoban``) or ``extra_info["xsb"]``.
    ``reward_score`` = the episode's gym-sokoban return.
    """

    loop_name = "sokoban_online"

    def configure(self, settings: dict[str, Any]) -> None:
        self.max_moves_per_turn = int(settings["max_moves_per_turn"])
        self.max_steps = int(settings["max_steps"])
        self.tile_size = int(settings["tile_size"])

    def make_env(self, row: dict[str, Any]):
        from lmmr1.envs.sokoban import SokobanEnv

        xsb = _as_dict(row.get("reward_model")).get("ground_truth") or _as_dict(row.get("extra_info")).get("xsb")
        if not xsb:
            raise ValueError("sokoban_online needs the level as XSB in reward_model.ground_truth or extra_info.xsb")
        env = SokobanEnv(level=str(xsb), max_steps=self.max_steps, tile_size=self.tile_size, obs_mode="both")
        obs, info = env.reset()
        return env, obs, info

    def parse_actions(self, text: str) -> list[int]:
        from lmmr1.envs.sokoban import ACTION_NAMES

        words = _SOKOBAN_MOVE.findall(_answer_text(text))
        return [ACTION_NAMES.index(w.lower()) for w in words][: self.max_moves_per_turn]

    def observation_message(self, env, obs, info, log: dict[str, Any]) -> dict[str, Any]:
        from lmmr1.envs.sokoban import ACTION_NAMES

        if log["invalid"]:
            head = "No move found in your answer; give moves like <answer>Left, Up</answer>."
        else:
            moves = ", ".join(ACTION_NAMES[a].capitalize() for a in log["applied"])
            head = (
                f"Moves played: {moves}. Reward this turn: {log['turn_reward']:.1f} "
                f"(total {log['total_reward']:.1f}). Boxes on goals: {info['boxes_on_target']}/{info['num_boxes']}."
            )
        tail = f"Give your next moves (at most {self.max_moves_per_turn})."
        if self.observation == "image":
            return {
                "role": "user",
                "content": [
                    {"type": "text", "text": head + " Current state:"},
                    {"type": "image", "image": Image.fromarray(obs["image"])},
                    {"type": "text", "text": tail},
                ],
            }
        return {"role": "user", "content": f"{head} Current state:\n{obs['text']}\n{tail}"}


# ---------------------------------------------------------------------------------------------
# Football
# ---------------------------------------------------------------------------------------------
class FootballOnlineAgentLoop(EnvAgentLoop):
    """Football turn by turn: one GRF action per model turn (a name from ``ACTION_NAMES`` such as ``right``,
    ``short_pass`` or ``shot``; an ``action_`` prefix is accepted), played for ``steps_per_action`` env steps.
    The game is set by ``extra_info``: ``scenario`` (default ``academy_3_vs_1_with_keeper``) and ``seed``.
    ``reward_score`` = the episode's shaped reward: MageBench's Football-Online reward by default
    (``reward="magebench"``, what the Football-Online benchmark scores), or lmmr1's smaller-scale one
    (``reward="lmmr1"``, lmmr1's engine only). ``engine``: ``"lmmr1"`` (default, the built-in game) or
    ``"gfootball"`` (Google Research Football, installed on every rollout node with
    ``scripts/install_gfootball.sh``).
    """

    loop_name = "football_online"

    def configure(self, settings: dict[str, Any]) -> None:
        self.steps_per_action = int(settings["steps_per_action"])
        self.max_steps = int(settings["max_steps"])
        self.reward = settings["reward"]
        self.engine = settings["engine"]

    def make_env(self, row: dict[str, Any]):
        from lmmr1.envs.football import FootballEnv

        extra = _as_dict(row.get("extra_info"))
        env = FootballEnv(
            scenario=str(extra.get("scenario", "academy_3_vs_1_with_keeper")),
            max_steps=self.max_steps,
            reward=self.reward,
            engine=self.engine,
        )
        seed = extra.get("seed", extra.get("index", 0))
        obs, info = env.reset(seed=int(seed))
        return env, obs, info

    def parse_actions(self, text: str) -> list[int]:
        from lmmr1.envs.football import action_from_text

        action = action_from_text(_answer_text(text))
        return [] if action is None else [action] * self.steps_per_action

    def observation_message(self, env, obs, info, log: dict[str, Any]) -> dict[str, Any]:
        from lmmr1.envs.football import ACTION_NAMES

        if log["invalid"]:
            head = "No action found in your answer; answer with one action name, e.g. <answer>right</answer>."
        else:
            head = (
                f"Played {ACTION_NAMES[log['applied'][0]]} for {len(log['applied'])} steps; reward "
                f"{log['turn_reward']:.2f} (total {log['total_reward']:.2f}); score {info['score'][0]}-{info['score'][1]}."
            )
        if self.observation == "image":
            return {
                "role": "user",
                "content": [
                    {"type": "text", "text": head + " Current scene:"},
                    {"type": "image", "image": Image.fromarray(obs["frame"])},
                    {"type": "text", "text": "Your next action?"},
                ],
            }
        ball = np.round(obs["ball"][:2], 2).tolist()
        me = np.round(obs["left_team"][obs["active"]], 2).tolist()
        return {
            "role": "user",
            "content": (
                f"{head} Ball at {ball}, you at {me}, ball owned by team {obs['ball_owned_team']}. Your next action?"
            ),
        }


# ---------------------------------------------------------------------------------------------
# single turn, reproducible
# ---------------------------------------------------------------------------------------------
class _NamedRequests:
    """verl's LLM client with this sample's request id and seed on every ``generate`` call."""

    def __init__(self, client: Any, request_id: str, base_seed: int) -> None:
        self._client, self._request_id, self._base_seed = client, request_id, base_seed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def generate(self, request_id: str, *, prompt_ids: list[int], sampling_params: dict, **kwargs: Any) -> Any:
        params = dict(sampling_params)
        params["seed"] = request_seed(self._request_id, len(prompt_ids), self._base_seed)
        return await self._client.generate(self._request_id, prompt_ids=prompt_ids, sampling_params=params, **kwargs)


class SeededSingleTurnAgentLoop(SingleTurnAgentLoop):
    """verl's single-turn loop, with one request id and seed per sample under ``full_determinism``.

    verl names the request ``det-{priority}``, shared by a prompt's ``rollout.n`` samples in the v1
    trainer (see :mod:`lmmr1.verl.determinism`); this loop names it by step, row and slot instead. Without
    ``full_determinism`` it is verl's loop unchanged.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.pop("name", None)  # the YAML entry's name is passed through by hydra
        super().__init__(*args, **kwargs)

    async def run(self, sampling_params: dict[str, Any], **kwargs: Any) -> AgentLoopOutput:
        if is_deterministic(self.rollout_config):
            request_id = sample_request_id(kwargs, True)
            self.server_manager = _NamedRequests(self.server_manager, request_id, int(self.rollout_config.seed))
        return await super().run(sampling_params, **kwargs)


# ---------------------------------------------------------------------------------------------
# wiring for verl
# ---------------------------------------------------------------------------------------------
# lmmr1's loops by the name rows and the agent-loop YAML use
LOOP_CLASSES: dict[str, type] = {
    SEEDED_SINGLE_TURN: SeededSingleTurnAgentLoop,
    "sokoban_online": SokobanOnlineAgentLoop,
    "football_online": FootballOnlineAgentLoop,
}


def agent_loop_configs(**overrides: dict[str, Any]) -> list[dict[str, Any]]:
    """The entries of verl's ``agent_loop_config_path`` YAML for lmmr1's loops.

    ``overrides`` maps a loop name to extra constructor keywords, e.g.
    ``agent_loop_configs(sokoban_online={"max_turns": 6})``.
    """
    entries = [{"name": name, "_target_": f"{__name__}.{klass.__name__}"} for name, klass in LOOP_CLASSES.items()]
    for entry in entries:
        entry.update(overrides.get(entry["name"], {}))
    return entries


def write_agent_loop_config(path: str, **overrides: dict[str, Any]) -> str:
    """Write the agent-loop YAML (see :func:`agent_loop_configs`) and return its absolute path."""
    import yaml

    path = os.path.abspath(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump(agent_loop_configs(**overrides), f, sort_keys=False)
    return path


__all__ = [
    "EnvAgentLoop",
    "FootballOnlineAgentLoop",
    "SeededSingleTurnAgentLoop",
    "SokobanOnlineAgentLoop",
    "agent_loop_configs",
    "write_agent_loop_config",
]
