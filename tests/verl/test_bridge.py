"""The bridge writes LMM-R1's settings into verl's keys, and verl's own validation accepts the result."""

from __future__ import annotations

import pytest
from hydra import compose, initialize_config_module
from omegaconf import OmegaConf

from lmmr1.run.settings import build_run_config
from lmmr1.verl.bridge import to_verl_config, verl_defaults


def _run(recipe: str, scale: str):
    model = "tiny_qwen2" if scale == "smoke" else "qwen2_5_vl_3b"
    data = "samples" if scale == "smoke" else "lmm_r1"
    with initialize_config_module(config_module="lmmr1.recipes", version_base="1.3"):
        cfg = compose(
            config_name="config", overrides=[f"+recipe={recipe}", f"scale={scale}", f"model={model}", f"data={data}"]
        )
    return build_run_config(cfg, check_files=False)


def _verl(recipe: str, scale: str, stage: str):
    run = _run(recipe, scale)
    return to_verl_config(run, run.stage(stage), "/models/init")


def test_paper_fre_text_in_verl_keys():
    c = _verl("fre_text", "paper", "fre_text")
    assert c.algorithm.adv_estimator == "reinforce_plus_plus_baseline"
    assert c.algorithm.use_kl_in_reward is True and c.algorithm.kl_penalty == "kl"
    assert c.algorithm.kl_ctrl.kl_coef == pytest.approx(0.001)
    assert c.actor_rollout_ref.actor.optim.lr == pytest.approx(4e-7)
    assert list(c.actor_rollout_ref.actor.optim.betas) == [0.9, 0.95]
    assert c.actor_rollout_ref.actor.optim.lr_warmup_steps_ratio == pytest.approx(0.03)
    assert c.actor_rollout_ref.actor.optim.clip_grad == 1.0
    assert c.actor_rollout_ref.actor.clip_ratio == pytest.approx(0.2)
    assert c.data.train_batch_size == 256 and c.actor_rollout_ref.actor.ppo_mini_batch_size == 256
    assert c.actor_rollout_ref.rollout.n == 16
    assert c.actor_rollout_ref.rollout.temperature == 1.0 and c.actor_rollout_ref.rollout.top_p == 1.0
    assert c.data.max_prompt_length == 4096 and c.data.max_response_length == 4096
    assert c.trainer.total_epochs == 2 and c.trainer.save_freq == 20
    assert c.actor_rollout_ref.rollout.name == "vllm"
    assert c.trainer.n_gpus_per_node == 8 and c.trainer.device == "cuda"
    assert c.actor_rollout_ref.model.path == "/models/init"
    assert "hf_model" in list(c.actor_rollout_ref.actor.checkpoint.save_contents)
    assert c.critic.enable is False


def test_gae_stage_enables_a_critic_initialised_from_the_actor():
    c = _verl("mgt_geo", "paper", "mgt_geo")
    assert c.algorithm.adv_estimator == "gae"
    assert c.critic.enable is True and c.critic.model.path == "/models/init"
    assert c.critic.optim.lr == pytest.approx(9e-6)


def test_sokoban_freezes_the_vision_tower_and_has_no_kl():
    c = _verl("mgt_sokoban", "paper", "mgt_sokoban")
    assert c.actor_rollout_ref.actor.freeze_vision_tower is True
    assert c.algorithm.use_kl_in_reward is False
    assert c.data.train_batch_size == 128 and c.trainer.total_epochs == 4 and c.trainer.save_freq == 5


def test_smoke_uses_the_cpu_backend_settings():
    c = _verl("fre_text", "smoke", "fre_text")
    assert c.actor_rollout_ref.rollout.name == "hf"
    assert c.trainer.device == "cpu"
    assert c.actor_rollout_ref.actor.strategy == "fsdp2"
    assert c.actor_rollout_ref.model.override_config.attn_implementation == "sdpa"
    assert c.transfer_queue.backend.SimpleStorage.num_data_storage_units == 1


@pytest.mark.parametrize("scale,param", [("smoke", "fp32"), ("paper", "bf16")])
def test_the_fsdp_precision_is_the_one_the_scale_names(scale, param):
    """verl's FSDP engine reads only ``mixed_precision`` (unset: bf16 autocast), so it is always written."""
    c = _verl("mgt_geo", scale, "mgt_geo")
    for block in (c.actor_rollout_ref.actor.fsdp_config, c.actor_rollout_ref.ref.fsdp_config, c.critic.fsdp):
        assert dict(block.mixed_precision) == {"param_dtype": param, "reduce_dtype": "fp32", "buffer_dtype": "fp32"}


def test_the_fsdp_engine_trains_in_the_precision_written(tiny_qwen2):
    """verl's own engine config, built from the bridge's output, carries the float32 policy at smoke scale."""
    from verl.utils.config import omega_conf_to_dataclass

    run = _run("fre_text", "smoke")
    c = to_verl_config(run, run.stage("fre_text"), tiny_qwen2)
    engine = omega_conf_to_dataclass(c.actor_rollout_ref.actor.fsdp_config)
    assert engine.mixed_precision["param_dtype"] == "fp32"


def test_reward_goes_through_lmmr1s_registry_adapter():
    c = _verl("fre_text", "smoke", "fre_text")
    assert c.reward.reward_manager.source == "importlib"
    assert c.reward.reward_manager.module.path == "pkg://lmmr1.verl.reward_manager"
    spec = c.reward.custom_reward_function.reward_kwargs.lmmr1_reward
    assert spec.name == "lmm_r1"


def test_only_known_verl_keys_are_written():
    """Every key the bridge sets must exist in verl's defaults (a typo would be silently ignored)."""
    defaults = OmegaConf.to_container(verl_defaults(), resolve=False)
    allowed_new = {
        "actor_rollout_ref.model.override_config.attn_implementation",
        "critic.model.override_config.attn_implementation",
        "reward.custom_reward_function.reward_kwargs",
        # FSDPEngineConfig fields (verl/workers/config/engine.py) that the generated yaml leaves out (None)
        "actor_rollout_ref.actor.fsdp_config.mixed_precision",
        "actor_rollout_ref.ref.fsdp_config.mixed_precision",
        "critic.fsdp.mixed_precision",
        # lmmr1's own section, read by lmmr1's hooks inside verl's trainer (turn credit, overlong filter, token log)
        "lmmr1",
    }

    def walk(node, prefix=""):
        for key, value in node.items():
            dotted = f"{prefix}{key}"
            if isinstance(value, dict) and value and not dotted.startswith(tuple(allowed_new)):
                yield from walk(value, dotted + ".")
            else:
                yield dotted

    for recipe, stage in [("fre_text", "fre_text"), ("mgt_geo", "mgt_geo")]:
        produced = OmegaConf.to_container(_verl(recipe, "paper", stage), resolve=False)
        for dotted in walk(produced):
            if dotted.startswith(tuple(allowed_new)):
                continue
            node = defaults
            for part in dotted.split("."):
                assert isinstance(node, dict) and part in node, f"{dotted} is not a verl key"
                node = node[part]


@pytest.mark.parametrize(
    "recipe,stage,scale",
    [("fre_text", "fre_text", "smoke"), ("fre_text", "fre_text", "paper"), ("mgt_geo", "mgt_geo", "paper")],
)
def test_verl_validate_config_accepts_the_bridge_output(recipe, stage, scale, tiny_qwen2):
    from verl.trainer.ppo.utils import need_critic, need_reference_policy
    from verl.utils.config import validate_config

    run = _run(recipe, scale)
    c = to_verl_config(run, run.stage(stage), tiny_qwen2)  # the critic config loads the model's config.json
    validate_config(config=c, use_reference_policy=need_reference_policy(c), use_critic=need_critic(c))


def test_raw_verl_overrides_are_applied_last():
    run = _run("fre_text", "smoke")
    stage = run.stage("fre_text")
    stage.verl = {"trainer.save_freq": 7}
    assert to_verl_config(run, stage, "/m").trainer.save_freq == 7


def test_unknown_raw_verl_key_is_refused_with_its_close_match():
    from lmmr1.verl.bridge import check_verl_keys

    check_verl_keys({"trainer.save_freq": 5, "critic.model.override_config.anything": 1})
    with pytest.raises(ValueError, match="did you mean 'actor_rollout_ref.rollout.temperature'"):
        check_verl_keys({"actor_rollout_ref.rollout.temperatur": 0.5})
    with pytest.raises(ValueError, match="is a value in verl's trainer config, not a section"):
        check_verl_keys({"trainer.save_freq.x": 1})


def test_the_gpu_extra_is_the_set_the_installed_verl_is_tested_with():
    """setup.py's `gpu` extra asks for the installed verl's own `vllm` extra (its pinned vLLM, torch,
    transformers), so a GPU install gets the versions verl was released with."""
    import ast
    from importlib.metadata import requires, version
    from pathlib import Path

    source = (Path(__file__).resolve().parents[2] / "setup.py").read_text()
    extras = next(
        ast.literal_eval(node.value)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "EXTRAS"
    )
    assert f"verl[vllm]=={version('verl')}" in extras["gpu"]
    flash = [r for r in requires("verl") if r.startswith("flash-attn==")]
    assert flash and flash[0].split(";")[0].strip() in extras["gpu"]


# ------------------------------------------------------------------------------------------ SFT stages
def test_sft_defaults_equal_hydras_own_composition_of_verls_sft_config():
    """lmmr1 composes sft_trainer_engine without a second Hydra app; Hydra itself must agree."""
    from hydra import initialize_config_dir

    from lmmr1.verl.bridge import _verl_config_dir, verl_sft_defaults

    with initialize_config_dir(config_dir=str(_verl_config_dir()), version_base=None):
        composed = compose(config_name="sft_trainer_engine")
    assert OmegaConf.to_container(verl_sft_defaults(), resolve=False) == OmegaConf.to_container(composed, resolve=False)


@pytest.mark.parametrize("scale,param", [("smoke", "fp32"), ("paper", "bf16")])
def test_an_sft_stage_becomes_verls_sft_trainer_config(scale, param):
    from lmmr1.run.stage import validate_sft_with_verl
    from lmmr1.verl.bridge import stage_verl_config

    run = _run("r1_onevision", scale)
    c = stage_verl_config(run, run.stage("sft"), "/models/init")
    assert c.model.path == "/models/init" and "actor_rollout_ref" not in c
    assert c.data.messages_key == "messages" and c.data.image_key == "images"
    assert "hf_model" in list(c.checkpoint.save_contents) and "hf_model" not in list(c.checkpoint.load_contents)
    assert c.engine.mixed_precision.param_dtype == param
    assert c.trainer.resume_mode == "auto" and c.trainer.default_local_dir.endswith("/sft/checkpoints")
    assert c.trainer.logger[0] == "file"
    if scale == "paper":
        assert (c.optim.lr, c.optim.lr_scheduler_type, c.optim.lr_warmup_steps_ratio) == (1e-5, "cosine", 0.05)
        assert (c.data.train_batch_size, c.data.max_length, c.trainer.total_epochs) == (128, 8192, 1)
        assert c.trainer.n_gpus_per_node == 8 and c.model.use_remove_padding is True
    else:
        assert c.trainer.device == "cpu" and c.model.override_config.attn_implementation == "sdpa"
        assert c.data.train_batch_size == 8 and c.trainer.total_training_steps == 8 and c.trainer.save_freq == 4
    validate_sft_with_verl(c)  # verl's own dataclasses accept it


def test_raw_verl_keys_of_an_sft_stage_are_checked_against_the_sft_config():
    from lmmr1.verl.bridge import check_verl_keys

    check_verl_keys({"data.ignore_input_ids_mismatch": True}, "sft")
    with pytest.raises(ValueError, match="not a key of verl's trainer config"):
        check_verl_keys({"actor_rollout_ref.actor.optim.lr": 1e-6}, "sft")


def test_every_policy_loss_lmmr1_accepts_is_registered_in_the_installed_verl():
    from verl.trainer.ppo.core_algos import get_policy_loss_fn

    from lmmr1.config import POLICY_LOSSES

    for name in POLICY_LOSSES:
        assert callable(get_policy_loss_fn(name)), name
