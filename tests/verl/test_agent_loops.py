"""The online agent loops, run in-process against a fake LLM server that returns canned token ids.

No model, no Ray: a byte-level BPE tokenizer is trained here on a few sentences (no hub download), the
loop is built the way verl's AgentLoopWorker builds it (hydra-style keyword arguments), and the fake
``server_manager.generate`` plays a scripted conversation. We check what the trainer relies on: model tokens
have response_mask 1 and everything the environment adds has 0, the number of turns, and the reward.
"""

from __future__ import annotations

import asyncio

import pytest
from PIL import Image

pytest.importorskip("verl")
pytest.importorskip("tokenizers")

from omegaconf import OmegaConf  # noqa: E402

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n"
    "{% if m['content'] is string %}{{ m['content'] }}{% else %}{% for b in m['content'] %}"
    "{% if b['type'] == 'text' %}{{ b['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@pytest.fixture(scope="module")
def tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=600,
        special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    corpus = [
        "<think>push the box right</think><answer>Right, Left, Up, Down</answer>",
        "Moves played: Right. Reward this turn: -0.1 (total 10.7). Boxes on goals: 1/1. Current state:",
        "You are the green character. Give your next moves. ###### #@ $ .# ######",
    ] * 20
    tok.train_from_iterator(corpus, trainer)
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    hf.chat_template = CHAT_TEMPLATE
    return hf


class FakeServer:
    """Stands in for verl's LLM server client: returns the next canned reply as token ids."""

    def __init__(self, tokenizer, replies: list[str]):
        self.tokenizer = tokenizer
        self.replies = list(replies)
        self.calls: list[list[int]] = []
        self.replied: list[list[int]] = []

    async def generate(self, request_id, *, prompt_ids, sampling_params, **kwargs):
        from verl.workers.rollout.replica import TokenOutput

        self.calls.append(list(prompt_ids))
        ids = self.tokenizer.encode(self.replies.pop(0), add_special_tokens=False)
        ids.append(self.tokenizer.convert_tokens_to_ids("<|im_end|>"))
        self.replied.append(ids)
        return TokenOutput(token_ids=ids, log_probs=[-0.5] * len(ids), extra_fields={"global_steps": 1})


def _config(response_length: int = 2048):
    return OmegaConf.create(
        {
            "actor_rollout_ref": {
                "rollout": {
                    "prompt_length": 1024,
                    "response_length": response_length,
                    "multi_turn": {"max_assistant_turns": None, "max_user_turns": None},
                }
            },
            "data": {},
        }
    )


def _make_loop(cls, tokenizer, server, **kwargs):
    from verl.experimental.agent_loop.agent_loop import DictConfigWrap
    from verl.utils.dataset.rl_dataset import RLHFDataset

    config = _config(kwargs.pop("response_length", 2048))
    return cls(
        trainer_config=DictConfigWrap(config),
        server_manager=server,
        tokenizer=tokenizer,
        processor=None,
        dataset_cls=RLHFDataset,
        data_config=DictConfigWrap(config.data),
        name="ignored",
        **kwargs,
    )


LEVEL = "######\n#@ $ .#\n######"  # Right x3 solves it: -0.1, -0.1, -0.1 + 1 + 10 = 10.7


def _row(prompt: str = "Solve this level.") -> dict:
    return {
        "raw_prompt": [{"role": "system", "content": "You play Sokoban."}, {"role": "user", "content": prompt}],
        "reward_model": {"style": "rule", "ground_truth": LEVEL},
        "extra_info": {"index": 0},
        "data_source": "sokoban",
    }


def _run(loop, row, sampling_params=None):
    return asyncio.run(loop.run(sampling_params or {"logprobs": True}, **row))


def _runs_of(mask: list[int]) -> list[tuple[int, int]]:
    """(value, length) of consecutive runs."""
    runs: list[tuple[int, int]] = []
    for m in mask:
        if runs and runs[-1][0] == m:
            runs[-1] = (m, runs[-1][1] + 1)
        else:
            runs.append((m, 1))
    return runs


def test_sokoban_online_masks_turns_and_reward(tokenizer):
    from lmmr1.verl.agent_loops import SokobanOnlineAgentLoop

    replies = [
        "<think>walk</think><answer>Right</answer>",
        "<answer>Right</answer>",
        "<answer>Right</answer>",
        "<answer>Left</answer>",
    ]
    server = FakeServer(tokenizer, replies)

    async def go():
        loop = _make_loop(SokobanOnlineAgentLoop, tokenizer, server, max_moves_per_turn=1)
        return await loop.run({"logprobs": True}, **_row())

    out = asyncio.run(go())
    # the level is solved on the third turn: the fourth reply is never requested
    assert len(server.calls) == 3
    assert out.reward_score == pytest.approx(10.7)
    assert out.extra_fields["turn_scores"] == pytest.approx([-0.1, -0.1, 10.9])
    assert out.extra_fields["solved"] is True and out.extra_fields["env_steps"] == 3
    assert out.num_turns == 6

    # model tokens (mask 1) are exactly the three replies, in order; the two observations are masked out
    mask, ids = out.response_mask, out.response_ids
    assert len(mask) == len(ids)
    model_tokens = [t for t, m in zip(ids, mask) if m == 1]
    assert model_tokens == [t for reply in server.replied for t in reply]
    runs = _runs_of(mask)
    assert [v for v, _ in runs] == [1, 0, 1, 0, 1]
    env_text = tokenizer.decode([t for t, m in zip(ids, mask) if m == 0])
    assert "Moves played: Right" in env_text and "#@" not in env_text.split("Current state:")[0]
    assert "Current state:" in env_text and "$" in env_text  # text observation: the XSB room
    # logprobs: the model's for model tokens, 0 for observation tokens
    assert out.response_logprobs is not None and len(out.response_logprobs) == len(mask)
    assert all(lp == -0.5 for lp, m in zip(out.response_logprobs, mask) if m == 1)
    assert all(lp == 0.0 for lp, m in zip(out.response_logprobs, mask) if m == 0)
    # each request continues the previous one (prompt prefix preserved)
    assert server.calls[1][: len(server.calls[0])] == server.calls[0]
    assert out.prompt_ids == server.calls[0]


def test_sokoban_online_invalid_turn_and_turn_limit(tokenizer):
    from lmmr1.verl.agent_loops import SokobanOnlineAgentLoop

    server = FakeServer(tokenizer, ["<answer>jump</answer>", "<answer>Left</answer>"])

    async def go():
        loop = _make_loop(SokobanOnlineAgentLoop, tokenizer, server, max_turns=2)
        return await loop.run({}, **_row())

    out = asyncio.run(go())
    assert len(server.calls) == 2
    assert out.extra_fields["invalid_turns"] == 1
    assert out.reward_score == pytest.approx(-0.1)  # one move into the wall
    assert out.extra_fields["solved"] is False
    assert out.response_logprobs is None
    assert [v for v, _ in _runs_of(out.response_mask)] == [1, 0, 1]


def test_sokoban_online_stops_at_response_length(tokenizer):
    from lmmr1.verl.agent_loops import SokobanOnlineAgentLoop

    server = FakeServer(tokenizer, ["<answer>Left</answer>"] * 10)

    async def go():
        loop = _make_loop(SokobanOnlineAgentLoop, tokenizer, server, max_turns=10, response_length=40)
        return await loop.run({}, **_row())

    out = asyncio.run(go())
    assert len(out.response_ids) <= 40 and len(out.response_mask) == len(out.response_ids)
    assert len(server.calls) < 10


def test_football_online_plays_and_scores(tokenizer):
    from lmmr1.verl.agent_loops import FootballOnlineAgentLoop

    server = FakeServer(tokenizer, ["<answer>right</answer>"] * 3 + ["<answer>shot</answer>"] * 5)
    row = _row("Play football.")
    row["extra_info"] = {"index": 3, "scenario": "academy_empty_goal_close", "seed": 3}

    async def go():
        loop = _make_loop(FootballOnlineAgentLoop, tokenizer, server, max_turns=8, steps_per_action=2)
        return await loop.run({}, **row)

    out = asyncio.run(go())
    assert out.extra_fields["env_steps"] >= 2
    assert out.reward_score == pytest.approx(sum(out.extra_fields["turn_scores"]))
    assert out.reward_score > 0  # ran at an empty goal and shot
    assert sum(out.response_mask) == sum(len(r) for r in server.replied)


def test_football_online_on_google_research_football(tokenizer):
    """engine: gfootball (where GRF is installed): same loop, GRF's game, MageBench's reward."""
    pytest.importorskip("gfootball_engine")
    from lmmr1.verl.agent_loops import FootballOnlineAgentLoop

    server = FakeServer(tokenizer, ["<answer>right</answer>"] * 2 + ["<answer>shot</answer>"] * 6)
    row = _row("Play football.")
    row["extra_info"] = {"index": 1, "scenario": "academy_empty_goal_close", "seed": 1}

    async def go():
        loop = _make_loop(
            FootballOnlineAgentLoop, tokenizer, server, max_turns=8, steps_per_action=3, engine="gfootball"
        )
        return await loop.run({}, **row)

    out = asyncio.run(go())
    assert out.extra_fields["env_done"] and out.reward_score == pytest.approx(sum(out.extra_fields["turn_scores"]))
    assert out.reward_score > 40  # MageBench's goal term (2 x 20) and the run up to the shot


def test_agent_loop_yaml_is_loadable_by_verl(tmp_path):
    from omegaconf import OmegaConf

    from lmmr1.verl.agent_loops import write_agent_loop_config

    path = write_agent_loop_config(str(tmp_path / "agent_loops.yaml"), sokoban_online={"max_turns": 6})
    entries = OmegaConf.load(path)
    names = {e.name: e for e in entries}
    assert set(names) == {"sokoban_online", "football_online", "lmmr1_single_turn"}
    assert names["lmmr1_single_turn"]["_target_"] == "lmmr1.verl.agent_loops.SeededSingleTurnAgentLoop"
    assert names["sokoban_online"]["_target_"] == "lmmr1.verl.agent_loops.SokobanOnlineAgentLoop"
    assert names["sokoban_online"].max_turns == 6


@pytest.fixture(scope="module")
def vl_processor(tmp_path_factory):
    """A Qwen2.5-VL processor built offline from lmmr1's tiny-model pieces (skipped if they are unavailable)."""
    try:
        from transformers import Qwen2_5_VLProcessor

        from lmmr1 import tiny_models
        from lmmr1.verl import data_compat as verl_compat

        verl_compat.apply()
        tok = tiny_models.build_tokenizer(tmp_path_factory.mktemp("tok"))
        return Qwen2_5_VLProcessor(
            image_processor=tiny_models._image_processor(),
            tokenizer=tok,
            video_processor=verl_compat.image_only_video_processor(),
            chat_template=tiny_models.CHAT_TEMPLATE,
        )
    except Exception as exc:  # the tiny-model helpers belong to another module; do not fail on their state
        pytest.skip(f"no offline Qwen2.5-VL processor: {exc}")


def test_sokoban_online_with_images(vl_processor):
    from verl.experimental.agent_loop.agent_loop import DictConfigWrap
    from verl.utils.dataset.rl_dataset import RLHFDataset

    from lmmr1.envs.sokoban import SokobanEnv
    from lmmr1.verl.agent_loops import SokobanOnlineAgentLoop

    tokenizer = vl_processor.tokenizer
    server = FakeServer(tokenizer, ["<answer>Right</answer>"] * 3)
    first_frame = Image.fromarray(SokobanEnv(level=LEVEL).reset()[0])
    row = _row()
    row["raw_prompt"][1]["content"] = [{"type": "image", "image": first_frame}, {"type": "text", "text": "Solve it."}]
    config = _config()

    async def go():
        loop = SokobanOnlineAgentLoop(
            trainer_config=DictConfigWrap(config),
            server_manager=server,
            tokenizer=tokenizer,
            processor=vl_processor,
            dataset_cls=RLHFDataset,
            data_config=DictConfigWrap(config.data),
            hf_model_type="qwen2_5_vl",
            max_moves_per_turn=1,
        )
        assert loop.observation == "image"
        return await loop.run({}, **row)

    out = asyncio.run(go())
    assert out.reward_score == pytest.approx(10.7) and len(server.calls) == 3
    images = out.multi_modal_data["images"]
    assert len(images) == 3  # the prompt's frame and one frame after each of the first two turns
    pad = tokenizer.convert_tokens_to_ids("<|image_pad|>")
    grid = vl_processor.image_processor(images=images[1:], return_tensors="np")["image_grid_thw"]
    per_frame = int(grid[0].prod()) // 4  # 2x2 patch merge
    # the two observation frames are in the response, masked out of the loss
    response_pads = [m for t, m in zip(out.response_ids, out.response_mask) if t == pad]
    assert len(response_pads) == 2 * per_frame and set(response_pads) == {0}
    assert sum(out.response_mask) == sum(len(r) for r in server.replied)


def test_instantiated_like_verls_worker(tmp_path, tokenizer):
    """verl's AgentLoopWorker: YAML entries into the registry, then hydra.utils.instantiate with its kwargs."""
    import hydra
    from omegaconf import OmegaConf
    from verl.experimental.agent_loop.agent_loop import DictConfigWrap, ToolListWrap, _agent_loop_registry
    from verl.utils.dataset.rl_dataset import RLHFDataset

    from lmmr1.verl.agent_loops import SokobanOnlineAgentLoop, write_agent_loop_config

    path = write_agent_loop_config(
        str(tmp_path / "loops.yaml"), sokoban_online={"max_turns": 3, "max_moves_per_turn": 2}
    )
    for entry in OmegaConf.load(path):
        _agent_loop_registry[entry.name] = entry
    config = _config()
    server = FakeServer(tokenizer, ["<answer>Up, Up, Up</answer>"] * 3)

    async def go():
        loop = hydra.utils.instantiate(
            config=_agent_loop_registry["sokoban_online"],
            trainer_config=DictConfigWrap(config),
            server_manager=server,
            tokenizer=tokenizer,
            processor=None,
            hf_model_type=None,
            dataset_cls=RLHFDataset,
            data_config=DictConfigWrap(config.data),
            tools=ToolListWrap([]),
        )
        assert isinstance(loop, SokobanOnlineAgentLoop) and loop.max_turns == 3 and loop.max_moves_per_turn == 2
        return await loop.run({}, **_row())

    out = asyncio.run(go())
    assert len(server.calls) == 3 and out.extra_fields["env_steps"] == 6  # 2 moves a turn, 3 turns
    assert out.reward_score == pytest.approx(-0.6)
    # what the turn-level estimators read: each turn's model tokens, reward and the board before it
    spans, anchors = out.extra_fields["turn_spans"], out.extra_fields["turn_anchors"]
    assert len(spans) == len(anchors) == len(out.extra_fields["turn_scores"]) == 3
    model_tokens = {i for i, m in enumerate(out.response_mask) if m == 1}
    assert set().union(*(range(s, e) for s, e in spans)) >= model_tokens
    assert all(out.response_mask[s] == 1 for s, _ in spans) and spans == sorted(spans)
    from lmmr1.envs.sokoban import SokobanEnv

    start = SokobanEnv(level=LEVEL).reset()[1]["xsb"]
    assert anchors == [start] * 3  # "Up" walks into the wall: every turn starts from the same board


def test_settings_survive_the_import_at_first_instantiation(tmp_path):
    """verl's worker loads the YAML into its registry first and imports lmmr1's module only when hydra
    instantiates the first loop. An import-time ``@register`` then replaced the YAML entries with bare ones, so
    every later episode ran with default settings (max_tokens_per_turn 40 held for one episode in four, and
    which one varied, so deterministic vLLM runs differed). A fresh interpreter runs that exact order."""
    import subprocess
    import sys
    import textwrap

    path = tmp_path / "loops.yaml"
    path.write_text(
        "- name: sokoban_online\n"
        "  _target_: lmmr1.verl.agent_loops.SokobanOnlineAgentLoop\n"
        "  max_turns: 3\n"
        "  max_tokens_per_turn: 40\n"
        "- name: football_online\n"
        "  _target_: lmmr1.verl.agent_loops.FootballOnlineAgentLoop\n"
        "  max_steps: 30\n"
    )
    script = textwrap.dedent(
        f"""
        import sys
        from hydra.utils import _locate
        from omegaconf import OmegaConf
        from verl.experimental.agent_loop.agent_loop import _agent_loop_registry
        assert "lmmr1.verl.agent_loops" not in sys.modules
        for entry in OmegaConf.load({str(path)!r}):  # AgentLoopWorker.__init__
            _agent_loop_registry[entry.name] = entry
        _locate(_agent_loop_registry["sokoban_online"]["_target_"])  # what the first instantiate imports
        assert "lmmr1.verl.agent_loops" in sys.modules
        soko, foot = _agent_loop_registry["sokoban_online"], _agent_loop_registry["football_online"]
        print(soko.get("max_tokens_per_turn"), soko.get("max_turns"), foot.get("max_steps"))
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == ["40", "3", "30"]
