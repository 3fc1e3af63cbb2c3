"""Composition of every recipe at both scales, layering of stage settings, and config errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_module

from lmmr1.config import ConfigError
from lmmr1.recipes_index import recipe_names
from lmmr1.run.settings import build_run_config

RECIPES = recipe_names()


def _compose(overrides: list[str]):
    with initialize_config_module(config_module="lmmr1.recipes", version_base="1.3"):
        return compose(config_name="config", overrides=overrides)


def _run(recipe: str, scale: str, *extra: str):
    model = "tiny_qwen2" if scale == "smoke" else "qwen2_5_vl_3b"
    data = "samples" if scale == "smoke" else "lmm_r1"
    cfg = _compose([f"+recipe={recipe}", f"scale={scale}", f"model={model}", f"data={data}", *extra])
    return build_run_config(cfg, list(extra), check_files=False)


def test_recipes_are_found():
    assert {"fre_text", "fre_multi", "mgt_geo", "mgt_percereason", "mgt_sokoban", "sanity"} <= set(RECIPES)


@pytest.mark.parametrize("recipe", RECIPES)
def test_every_recipe_composes_at_paper_scale(recipe):
    run = _run(recipe, "paper")
    assert run.recipe == recipe
    assert run.scale.rollout_engine == "vllm"
    for stage in run.stages:
        assert stage.data.train_files, stage.name
        assert all(f.endswith(".parquet") or f.startswith("sample:") for f in stage.data.train_files)


@pytest.mark.parametrize("recipe", RECIPES)
def test_every_recipe_composes_at_smoke_scale_or_says_what_is_missing(recipe):
    try:
        run = _run(recipe, "smoke")
    except ConfigError as exc:  # multimodal recipes need prepared data until samples ship for them
        assert "train_files is empty" in str(exc) and "lmmr1 data prepare" in str(exc)
        return
    assert run.scale.rollout_engine == "hf"
    assert all(s.total_steps and s.total_steps <= 20 for s in run.stages)


def test_stage_layering_stage_then_scale_then_stage_scale_block():
    run = _run("sanity", "smoke")
    stage = run.stage("sanity")
    # stage value 1e-5 < scale.stage_overrides 1e-5 < stages.sanity.smoke.actor_lr
    assert stage.actor_lr == pytest.approx(5e-3)
    assert stage.max_response_length == 1
    assert stage.mini_batch_size == 4  # from the stage itself, untouched by the scale
    paper = _run("sanity", "paper").stage("sanity")
    assert paper.actor_lr == pytest.approx(1e-5)


def test_fre_text_paper_settings_match_the_paper():
    stage = _run("fre_text", "paper").stage("fre_text")
    assert stage.algorithm.estimator == "reinforce_plus_plus_baseline"
    assert stage.actor_lr == pytest.approx(4e-7)
    assert (stage.rollout_batch_size, stage.n_samples) == (256, 16)
    assert stage.max_response_length == 4096 and stage.epochs == 2 and stage.save_freq == 20
    assert stage.algorithm.kl_in_reward and stage.algorithm.kl_coef == pytest.approx(0.001)


def test_curriculum_stage_two_starts_from_stage_one():
    run = _run("mgt_geo", "paper")
    assert [s.name for s in run.stages] == ["fre_text", "mgt_geo"]
    assert run.stage("mgt_geo").init == "stage:fre_text"
    assert run.stage("mgt_geo").algorithm.use_critic


def test_a_precision_verl_cannot_train_in_is_refused():
    with pytest.raises(ConfigError, match=r"scale.dtype = 'float16'.*accepted: float32, fp32, bfloat16, bf16"):
        _run("fre_text", "smoke", "scale.dtype=float16")


def test_unknown_stage_key_is_reported_with_its_place():
    with pytest.raises(ConfigError, match=r"stages\.fre_text: unknown key 'learning_rate'"):
        _run("fre_text", "smoke", "+stages.fre_text.learning_rate=1")


def test_missing_data_file_is_reported_when_files_are_checked(tmp_path):
    cfg = _compose(
        [
            "+recipe=fre_text",
            "scale=smoke",
            "model=tiny_qwen2",
            "data=samples",
            f"data.train_files=[{tmp_path}/nope.parquet]",
        ]
    )
    with pytest.raises(ConfigError, match="nope.parquet does not exist"):
        build_run_config(cfg, check_files=True)


def test_data_override_is_refused_for_multi_stage_recipes(tmp_path):
    cfg = _compose(
        [
            "+recipe=mgt_geo",
            "scale=paper",
            "model=qwen2_5_vl_3b",
            "data=lmm_r1",
            f"data.train_files=[{tmp_path}/a.parquet]",
        ]
    )
    with pytest.raises(ConfigError, match="single-stage recipes only"):
        build_run_config(cfg, check_files=False)


def test_missing_local_model_directory_is_an_error():
    cfg = _compose(["+recipe=fre_text", "scale=smoke", "model=tiny_qwen2", "data=samples", "model.path=/no/such/model"])
    with pytest.raises(ConfigError, match="no such directory"):
        build_run_config(cfg, check_files=False)


def test_output_dir_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = _run("fre_text", "smoke", "output_dir=rel/run")
    assert run.output_dir == tmp_path / "rel" / "run"


# ----------------------------------------------------------------------------- precedence (issue 8)
def test_typed_stage_settings_beat_the_scale_defaults_at_smoke_scale():
    run = _run("fre_text", "smoke", "stages.fre_text.actor_lr=3e-6", "stages.fre_text.n_samples=8")
    stage = run.stage("fre_text")
    assert stage.actor_lr == pytest.approx(3e-6) and stage.n_samples == 8
    assert stage.provenance["actor_lr"] == "command line"
    # untouched keys keep the scale's value
    assert stage.rollout_batch_size == 4 and stage.provenance["rollout_batch_size"].startswith("scale")


def test_typed_settings_beat_the_stage_own_scale_block():
    run = _run("sanity", "smoke", "stages.sanity.actor_lr=1e-4")
    assert run.stage("sanity").actor_lr == pytest.approx(1e-4)  # the smoke block says 5e-3
    run = _run("sanity", "smoke", "stages.sanity.smoke.actor_lr=2e-4")
    assert run.stage("sanity").actor_lr == pytest.approx(2e-4)
    run = _run("sanity", "smoke", "+stages.sanity.paper.actor_lr=2e-4")  # the other scale's block
    assert run.stage("sanity").actor_lr == pytest.approx(5e-3)


@pytest.mark.parametrize("recipe", ["fre_text", "mgt_geo"])
@pytest.mark.parametrize("preset,estimator", [("grpo", "grpo"), ("dapo", "grpo"), ("gae", "gae")])
def test_algorithm_group_applies_to_every_stage(recipe, preset, estimator):
    run = _run(recipe, "paper", f"algorithm={preset}")
    for stage in run.stages:
        assert stage.algorithm.preset == preset and stage.algorithm.estimator == estimator, stage.name
        assert stage.provenance["algorithm.estimator"] == f"command line (algorithm={preset})"


def test_stage_algorithm_preset_applies_to_one_stage():
    run = _run("mgt_geo", "paper", "stages.mgt_geo.algorithm=dapo")
    assert run.stage("mgt_geo").algorithm.preset == "dapo"
    assert run.stage("fre_text").algorithm.preset == "reinforce_pp_baseline"


def test_typed_algorithm_key_applies_after_the_preset():
    run = _run("fre_text", "paper", "algorithm=dapo", "algorithm.clip_ratio_high=0.3")
    algo = run.stage("fre_text").algorithm
    assert algo.dynamic_sampling and algo.clip_ratio_high == pytest.approx(0.3)


def test_dapo_filters_groups_on_the_score_every_reward_has():
    from lmmr1.verl.bridge import to_verl_config

    for recipe in ("fre_text", "mgt_sokoban"):
        run = _run(recipe, "paper", "algorithm=dapo")
        stage = run.stages[-1]
        cfg = to_verl_config(run, stage, "/m")
        assert cfg.algorithm.filter_groups.enable is True
        assert cfg.algorithm.filter_groups.metric == "reward"  # verl's canonical score, not "acc"
        assert cfg.actor_rollout_ref.actor.clip_ratio_high == pytest.approx(0.28)
        assert cfg.actor_rollout_ref.actor.loss_agg_mode == "token-mean"
    run = _run("fre_text", "paper", "algorithm=dapo", "algorithm.filter_metric=acc")
    assert to_verl_config(run, run.stage("fre_text"), "/m").algorithm.filter_groups.metric == "acc"


def test_the_dapo_preset_shapes_overlong_responses_and_gspo_cispo_name_their_policy_loss():
    from lmmr1.verl.bridge import to_verl_config

    run = _run("fre_text", "paper", "algorithm=dapo")
    stage = run.stage("fre_text")
    shaping = to_verl_config(run, stage, "/m").reward.custom_reward_function.reward_kwargs.lmmr1_overlong
    # the last fifth of the stage's max_response_length, DAPO's 4096 of 20480
    assert shaping.max_length == stage.max_response_length
    assert shaping.buffer == round(0.2 * stage.max_response_length) and shaping.penalty == 1.0
    run = _run("fre_text", "paper", "algorithm=dapo", "algorithm.overlong_buffer=0")
    kwargs = to_verl_config(run, run.stage("fre_text"), "/m").reward.custom_reward_function.reward_kwargs
    assert "lmmr1_overlong" not in kwargs
    for preset in ("gspo", "cispo"):
        run = _run("fre_text", "paper", f"algorithm={preset}")
        actor = to_verl_config(run, run.stage("fre_text"), "/m").actor_rollout_ref.actor
        assert actor.policy_loss.loss_mode == preset
    # DAPO's overlong filter: on in the preset, off elsewhere; the trainer hook reads the budget from here
    run = _run("fre_text", "paper", "algorithm=dapo")
    stage = run.stage("fre_text")
    assert dict(to_verl_config(run, stage, "/m").lmmr1.overlong_filter) == {
        "enable": True,
        "max_length": stage.max_response_length,
    }
    for overrides in (("algorithm=grpo",), ("algorithm=dapo", "algorithm.overlong_filter=false")):
        run = _run("fre_text", "paper", *overrides)
        assert "overlong_filter" not in (to_verl_config(run, run.stage("fre_text"), "/m").get("lmmr1") or {})
    # a budget too short for a fifth of it: the buffer is one token (sanity's 1-token responses)
    run = _run("sanity", "smoke", "algorithm=dapo")
    stage = run.stage("sanity")
    shaping = to_verl_config(run, stage, "/m").reward.custom_reward_function.reward_kwargs.lmmr1_overlong
    assert stage.max_response_length == 1 and shaping.buffer == 1


# ----------------------------------------------------------------------------- validation (issue 8)
@pytest.mark.parametrize(
    "override,needle",
    [
        ("stages.fre_text.actor_lr=fast", "stages.fre_text.actor_lr = 'fast' (set by command line): expected a number"),
        ("+stages.fre_text.n_sample=8", "unknown key 'n_sample' (did you mean 'n_samples'?)"),
        (
            "+stages.fre_text.reward.kwargs.format_weigth=0.0",
            "no argument 'format_weigth' (did you mean 'format_weight'?)",
        ),
        ("+stages.fre_text.verl={trainer: {save_frq: 5}}", "did you mean 'trainer.save_freq'?"),
        ("stages.fre_text.reward.name=lmm_r2", "unknown reward 'lmm_r2'"),
        ("stages.fre_text.algorithm=dapa", "unknown algorithm preset (did you mean 'dapo'?)"),
        ("stages.fre_text.rollout_batch_size=2.5", "expected an integer"),
        ("+stages.fre_text.betas=[0.9]", "expected a list of 2 values"),
        ("+stages.fre_text.algorithm.estimator=gea", "(did you mean 'gae'?)"),
        ("algorithm.policy_loss=gsp", "not a verl policy loss (did you mean 'gspo'?)"),
        ("algorithm.overlong_buffer=1.5", "overlong_buffer is the share of max_response_length"),
        ("algorithm.overlong_penalty=-1", "overlong_penalty must be >= 0"),
        ("algorithm.overlong_filter=maybe", "algorithm.overlong_filter"),
        ("+stages.fre_text.lora.rank=-1", "rank must be >= 0"),
        ("+stages.fre_text.lora.dropout=0.05", "only 0 would take effect"),
        ("+stages.fre_text.lora.target_modules=[]", "expected 'all-linear' or a list of module names"),
        ("+stages.fre_text.lora.rnk=8", "rnk"),
        (
            ("+stages.fre_text.lora={rank: 8, vision_tower: true}", "+stages.fre_text.freeze_vision_tower=true"),
            "set one of them to false",
        ),
    ],
)
def test_bad_settings_are_refused_with_the_key_and_what_is_accepted(override, needle):
    with pytest.raises(ConfigError) as info:
        _run("fre_text", "smoke", *(override if isinstance(override, tuple) else (override,)))
    assert needle in str(info.value)


def test_lora_settings_reach_verls_fsdp_engine_and_the_vision_tower_stays_out():
    from lmmr1.verl.bridge import VISION_TOWER_MODULES, to_verl_config

    run = _run("fre_multi_lora", "paper")
    stage = run.stage("fre_multi")
    model = to_verl_config(run, stage, "/m").actor_rollout_ref.model
    assert (model.lora_rank, model.lora_alpha, model.target_modules) == (64, 32, "all-linear")
    assert model.exclude_modules == VISION_TOWER_MODULES and model.lora.merge is False  # GPUs: vLLM takes adapters
    verl = to_verl_config(run, stage, "/m")
    assert (
        verl.actor_rollout_ref.actor.freeze_vision_tower and verl.actor_rollout_ref.rollout.load_format == "safetensors"
    )
    assert stage.actor_lr == 1e-5  # ten times the full-weight 1e-6 (verl's LoRA guide)
    # smoke: rank 8, and the CPU rollout takes merged weights at every sync
    run = _run("fre_multi_lora", "smoke")
    model = to_verl_config(run, run.stage("fre_multi"), "/m").actor_rollout_ref.model
    assert model.lora_rank == 8 and model.lora.merge is True
    # adapters in the vision tower when asked; a list of target modules; LoRA off leaves verl's defaults
    run = _run(
        "fre_multi", "paper", "+stages.fre_multi.lora={rank: 16, vision_tower: true, target_modules: [q_proj, v_proj]}"
    )
    verl = to_verl_config(run, run.stage("fre_multi"), "/m")
    assert list(verl.actor_rollout_ref.model.target_modules) == ["q_proj", "v_proj"]
    assert (
        verl.actor_rollout_ref.model.get("exclude_modules") is None
        and not verl.actor_rollout_ref.actor.freeze_vision_tower
    )
    verl = to_verl_config(_run("fre_multi", "paper"), _run("fre_multi", "paper").stage("fre_multi"), "/m")
    assert verl.actor_rollout_ref.model.lora_rank == 0


def test_a_stage_can_go_on_training_the_previous_stages_adapter():
    """lora.continue_previous: the stage starts from the previous stage's base model and hands verl that stage's
    adapter (model.lora_adapter_path); refused unless the previous stage trains an adapter of the same shape."""
    from lmmr1.run.curriculum import init_adapter_for, init_model_for
    from lmmr1.verl.bridge import stage_verl_config

    first = "+stages.fre_text.lora={rank: 8, alpha: 16}"
    run = _run(
        "mgt_percereason", "smoke", first, "+stages.mgt_percereason.lora={rank: 8, alpha: 16, continue_previous: true}"
    )
    stage = run.stage("mgt_percereason")
    base, adapter = init_model_for(run, stage, None), init_adapter_for(run, stage, None)
    assert base == init_model_for(run, run.stage("fre_text"), None) == run.model_path  # not fre_text's export
    assert Path(adapter).name == "lora_adapter" and "fre_text" in adapter
    model = stage_verl_config(run, stage, base, adapter=adapter).actor_rollout_ref.model
    assert (model.path, model.lora_adapter_path, model.lora_rank) == (base, adapter, 8)
    # a stage that does not continue starts from the export and a new adapter
    plain = _run("mgt_percereason", "smoke", first, "+stages.mgt_percereason.lora={rank: 8, alpha: 16}")
    assert init_adapter_for(plain, plain.stage("mgt_percereason"), None) is None
    assert init_model_for(plain, plain.stage("mgt_percereason"), None).endswith("fre_text/final_hf")
    # an SFT stage continues the same way (verl's SFT engine reads model.lora_adapter_path too)
    sft_run = _run(
        "r1_onevision",
        "smoke",
        "+stages.sft.lora={rank: 8, alpha: 16}",
        "+stages.grpo.lora={rank: 8, alpha: 16, continue_previous: true}",
    )
    grpo = sft_run.stage("grpo")
    assert init_model_for(sft_run, grpo, None) == sft_run.model_path
    key = "stages.mgt_percereason.lora.continue_previous"
    for overrides, reason in [
        (("+stages.mgt_percereason.lora.continue_previous=true",), f"{key}: this stage trains no adapter"),
        (("+stages.mgt_percereason.lora={rank: 8, continue_previous: true}",), "stage 'fre_text' trains no adapter"),
        ((first, "+stages.mgt_percereason.lora={rank: 4, alpha: 16, continue_previous: true}"), r"rank 8 -> 4.*same rank, alpha"),
        ((first, "+stages.mgt_percereason.lora={rank: 8, alpha: 16, continue_previous: true}", "stages.mgt_percereason.init=model"), "an adapter can only be continued from an earlier stage"),
    ]:  # fmt: skip
        with pytest.raises(ConfigError, match=reason):
            _run("mgt_percereason", "smoke", *overrides)


def test_lora_with_a_critic_is_refused_and_an_sft_stage_gets_the_same_adapters():
    from lmmr1.verl.bridge import VISION_TOWER_MODULES, to_verl_sft_config

    with pytest.raises(ConfigError, match="lora.rank = 8 with a critic"):
        _run("mgt_geo", "smoke", "+stages.mgt_geo.lora.rank=8")
    run = _run("r1_onevision", "smoke", "+stages.sft.lora={rank: 8, alpha: 16}")
    model = to_verl_sft_config(run, run.stage("sft"), "/m").model
    assert (model.lora_rank, model.lora_alpha, model.target_modules) == (8, 16, "all-linear")
    assert model.exclude_modules == VISION_TOWER_MODULES
    assert (
        to_verl_sft_config(
            _run("r1_onevision", "smoke"), _run("r1_onevision", "smoke").stage("sft"), "/m"
        ).model.lora_rank
        == 0
    )


def test_raw_verl_keys_are_accepted_dotted_or_nested_and_below_free_form_sections():
    run = _run(
        "fre_text",
        "paper",
        "+stages.fre_text.verl={trainer.save_freq: 5, "
        "actor_rollout_ref: {model: {override_config: {rope_theta: 10000}}}}",
    )
    assert run.stage("fre_text").verl == {
        "trainer.save_freq": 5,
        "actor_rollout_ref.model.override_config.rope_theta": 10000,
    }


def test_a_reward_with_free_form_arguments_says_so():
    from lmmr1.rewards.arguments import check_reward_arguments, free_form_arguments

    @free_form_arguments
    def anything(data_source, solution_str, ground_truth, extra_info=None, **kwargs):
        return 0.0

    from lmmr1.rewards import REWARDS

    REWARDS.register("test_free_form", anything)
    check_reward_arguments("test_free_form", {"whatever": 1})  # no error


def test_gae_stages_run_gae_at_smoke_scale_too():
    for recipe, stage in (("mgt_geo", "mgt_geo"), ("direct_rl_geo", "direct_rl_geo"), ("mgt_sokoban", "mgt_sokoban")):
        algo = _run(recipe, "smoke").stage(stage).algorithm
        assert algo.estimator == "gae" and algo.use_critic, recipe
    run = _run("fre_text", "smoke", "algorithm=gae")
    assert run.stage("fre_text").algorithm.use_critic


def test_explain_names_the_layer_of_every_value():
    from lmmr1.config import explain_text

    run = _run("sanity", "smoke", "stages.sanity.n_samples=8")
    text = explain_text(run)
    lines = {line.split()[0]: line for line in text.splitlines() if line and not line.startswith("#")}
    assert lines["n_samples"].endswith("command line")
    assert lines["actor_lr"].endswith("stage block (stages.sanity.smoke)")
    assert lines["critic_lr"].endswith("scale (smoke.stage_overrides)")
    assert lines["reward.name"].endswith("recipe")
    assert lines["grad_clip"].endswith("default")


def test_fre_text_is_defined_once_and_identical_in_every_curriculum():
    import dataclasses

    stages = [_run(r, "paper").stage("fre_text") for r in ("fre_text", "mgt_geo", "mgt_percereason")]
    plain = [{k: v for k, v in dataclasses.asdict(s).items() if k != "provenance"} for s in stages]
    assert plain[0] == plain[1] == plain[2]
    from pathlib import Path

    recipes = Path(__file__).resolve().parents[2] / "recipes" / "recipe"
    for name in ("fre_text", "mgt_geo", "mgt_percereason"):
        assert "/stage@stages.fre_text: fre_text" in (recipes / f"{name}.yaml").read_text()


def test_the_logger_list_is_verls_own():
    """lmmr1.config.VERL_LOGGERS names exactly the backends the installed verl's Tracking accepts."""
    from verl.utils.tracking import Tracking

    from lmmr1.config import VERL_LOGGERS

    assert set(VERL_LOGGERS) == set(Tracking.supported_backend)


def test_logger_setting_reaches_verl_and_is_checked():
    from lmmr1.config import ConfigError, check_loggers

    assert check_loggers(["console", "tensorboard"]) == ("console", "tensorboard")
    with pytest.raises(ConfigError, match="'tensorbord' is not a verl tracking backend.*tensorboard"):
        check_loggers(["tensorbord"])


def test_loggers_and_response_logging_reach_the_run():
    from lmmr1.verl.bridge import to_verl_config

    run = _run("fre_text", "smoke", "logger=[console,tensorboard]", "log_responses=100")
    assert run.loggers == ("console", "tensorboard") and run.log_responses == 100
    assert list(to_verl_config(run, run.stage("fre_text"), "/m").trainer.logger) == ["file", "console", "tensorboard"]
    with pytest.raises(ConfigError, match="log_responses"):
        _run("fre_text", "smoke", "log_responses=-1")


def test_token_logging_reaches_verl_and_zero_turns_it_off():
    from lmmr1.verl.bridge import to_verl_config

    run = _run("fre_text", "smoke", "log_tokens=3")
    section = to_verl_config(run, run.stage("fre_text"), "/m").lmmr1.token_log
    assert section.per_step == 3 and section.path.endswith("fre_text/tokens.jsonl")
    run = _run("fre_text", "smoke", "log_tokens=0")
    assert "token_log" not in (to_verl_config(run, run.stage("fre_text"), "/m").get("lmmr1") or {})
    from lmmr1.typecheck import SettingError

    with pytest.raises(
        ConfigError, match=r"stages.fre_text.verl.algorithm.rollout_correction.bypass_mode.*log_tokens=0"
    ):
        _run("fre_text", "smoke", "+stages.fre_text.verl={algorithm.rollout_correction.bypass_mode: true}")
    _run("fre_text", "smoke", "log_tokens=0", "+stages.fre_text.verl={algorithm.rollout_correction.bypass_mode: true}")
    for bad in ("log_tokens=-1", "log_tokens=many"):
        with pytest.raises((ConfigError, SettingError), match="log_tokens"):
            _run("fre_text", "smoke", bad)


# ------------------------------------------------------------------------------------------ SFT stages
def test_the_r1_onevision_recipe_has_an_sft_stage_handing_over_to_grpo():
    run = _run("r1_onevision", "smoke")
    sft, grpo = run.stages
    assert (sft.kind, grpo.kind) == ("sft", "rl") and grpo.init == "stage:sft"
    assert sft.sft.batch_size == 8 and sft.sft.lr == pytest.approx(1e-3) and sft.total_steps == 8
    paper = _run("r1_onevision", "paper").stage("sft")
    assert (paper.sft.lr, paper.sft.batch_size, paper.sft.max_length, paper.warmup_ratio) == (1e-5, 128, 8192, 0.05)


def test_an_rl_setting_on_an_sft_stage_is_refused_naming_the_sft_key():
    with pytest.raises(
        ConfigError, match=r"stages\.sft is a kind 'sft' stage; actor_lr only apply.*stages\.sft\.sft\.lr"
    ):
        _run("r1_onevision", "smoke", "+stages.sft.actor_lr=1e-5")
    with pytest.raises(ConfigError, match=r"reward\.name only apply to kind 'rl'"):
        _run("r1_onevision", "smoke", "+stages.sft.reward.name=math")


def test_an_sft_setting_on_an_rl_stage_is_refused():
    with pytest.raises(ConfigError, match=r"stages\.grpo is a kind 'rl' stage; sft\.lr only apply to kind 'sft'"):
        _run("r1_onevision", "smoke", "+stages.grpo.sft.lr=1e-5")


def test_shared_layers_do_not_make_an_sft_stage_invalid():
    # algorithm=NAME and the scale's stage_overrides reach every stage; they apply to the RL ones only
    run = _run("r1_onevision", "smoke", "algorithm=grpo", "scale.stage_overrides.n_samples=2")
    assert run.stage("grpo").n_samples == 2 and run.stage("sft").kind == "sft"


def test_an_unknown_stage_kind_and_bad_sft_values_are_refused():
    with pytest.raises(ConfigError, match=r"stages\.sft\.kind = 'dpo'.*accepted: rl .*sft"):
        _run("r1_onevision", "smoke", "stages.sft.kind=dpo")
    with pytest.raises(ConfigError, match=r"stages\.sft\.sft\.lr_scheduler = 'linear'; accepted: constant, cosine"):
        _run("r1_onevision", "smoke", "stages.sft.sft.lr_scheduler=linear")
    with pytest.raises(ConfigError, match=r"micro_batch_size \(16\) exceeds batch_size \(8\)"):
        _run("r1_onevision", "smoke", "stages.sft.smoke.sft.micro_batch_size=16")


def test_agent_loop_settings_are_checked_when_the_config_is_read(monkeypatch):
    """verl's agent-loop base class swallows unknown keywords: lmmr1 refuses them (and bad values) by name."""
    loops = "stages.mgt_football.agent_loops"
    with pytest.raises(
        ConfigError, match=rf"{loops}\.football_online: unknown setting 'engin' \(did you mean 'engine'"
    ):
        _run("mgt_football", "smoke", f"+{loops}.football_online.engin=gfootball")
    with pytest.raises(
        ConfigError, match=rf"{loops}\.sokoban_onlin: unknown agent loop \(did you mean 'sokoban_online'"
    ):
        _run("mgt_football", "smoke", f"+{loops}.sokoban_onlin.max_steps=3")
    with pytest.raises(ConfigError, match=r"football_online: engine must be one of lmmr1, gfootball, got 'grf'"):
        _run("mgt_football", "smoke", f"+{loops}.football_online.engine=grf")
    with pytest.raises(ConfigError, match=r"football_online: max_steps must be a whole number >= 1, got 0"):
        _run("mgt_football", "smoke", f"{loops}.football_online.max_steps=0")
    with pytest.raises(ConfigError, match=r"football_online: engine 'gfootball' scores with reward 'magebench' only"):
        _run(
            "mgt_football",
            "smoke",
            f"+{loops}.football_online.engine=gfootball",
            f"+{loops}.football_online.reward=lmmr1",
        )
    import lmmr1.envs.football.gfootball_engine as grf

    monkeypatch.setattr(grf, "gfootball_available", lambda: False)
    with pytest.raises(
        ConfigError,
        match=r"football_online: engine='gfootball' needs Google Research Football: run scripts/install_gfootball.sh",
    ):
        _run("mgt_football", "smoke", f"+{loops}.football_online.engine=gfootball")
    cfg = _run("mgt_football", "smoke", f"+{loops}.football_online.reward=lmmr1")  # a valid setting passes
    stage = next(s for s in cfg.stages if s.name == "mgt_football")
    assert stage.agent_loops["football_online"]["reward"] == "lmmr1"


def test_turn_level_estimators_and_their_settings_are_checked():
    """algorithm=gigpo|turn_gae: presets, the critic each needs, the turn settings, the loops' anchor setting."""
    from lmmr1.verl.bridge import to_verl_config

    run = _run("sokoban_online", "smoke", "algorithm=gigpo", "algorithm.step_weight=0.5")
    stage = run.stage("sokoban_online")
    assert stage.algorithm.estimator == "gigpo" and not stage.algorithm.use_critic
    cfg = to_verl_config(run, stage, "/m")
    assert cfg.algorithm.adv_estimator == "gigpo" and cfg.lmmr1.turn_credit.step_weight == 0.5
    assert cfg.lmmr1.turn_credit.episode_log.endswith("sokoban_online/turn_credit.jsonl")
    run = _run("sokoban_online", "smoke", "algorithm=turn_gae")
    assert to_verl_config(run, run.stage("sokoban_online"), "/m").critic.enable is True
    with pytest.raises(
        ConfigError, match=r"estimator 'turn_gae' with use_critic=False: gae and turn_gae need a critic"
    ):
        _run("sokoban_online", "smoke", "algorithm=turn_gae", "algorithm.use_critic=false")
    with pytest.raises(ConfigError, match=r"estimator 'gigpo' with use_critic=True"):
        _run("sokoban_online", "smoke", "algorithm=gigpo", "algorithm.use_critic=true")
    with pytest.raises(ConfigError, match=r"turn_gamma and turn_lambda must be in \[0, 1\].*turn_gamma=1.5"):
        _run("sokoban_online", "smoke", "algorithm=gigpo", "algorithm.turn_gamma=1.5")
    with pytest.raises(ConfigError, match=r"algorithm.estimator = 'gipgo'.*did you mean 'gigpo'"):
        _run("sokoban_online", "smoke", "algorithm.estimator=gipgo")
    loops = "stages.sokoban_online.agent_loops.sokoban_online"
    with pytest.raises(ConfigError, match=r"sokoban_online: anchor must be one of board, none, got 'grid'"):
        _run("sokoban_online", "smoke", f"+{loops}.anchor=grid")
    with pytest.raises(ConfigError, match=r"sokoban_online: invalid_penalty must be a number >= 0, got -1"):
        _run("sokoban_online", "smoke", f"{loops}.invalid_penalty=-1")
    # a run without a turn-level stage writes no turn-credit settings
    run = _run("sokoban_online", "smoke")
    assert "turn_credit" not in (to_verl_config(run, run.stage("sokoban_online"), "/m").get("lmmr1") or {})
    with pytest.raises(ConfigError, match=r"turn_lambda set, but estimator 'gigpo' does not use it"):
        _run("sokoban_online", "smoke", "algorithm=gigpo", "+algorithm.turn_lambda=0.9")
    with pytest.raises(
        ConfigError, match=r"step_weight set, but estimator 'reinforce_plus_plus_baseline' does not use"
    ):
        _run("sokoban_online", "smoke", "+stages.sokoban_online.algorithm.step_weight=2")


def test_a_paper_lora_stage_validates_without_vllm_installed():
    """verl's validate_config imports vLLM to read its largest LoRA rank; without vLLM (a laptop preparing a GPU
    run) lmmr1 checks the rank against verl's fallback list and verl validates the rest."""
    import importlib.util

    from lmmr1.run.stage import validate_with_verl
    from lmmr1.verl.bridge import to_verl_config

    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vLLM is installed here: verl's own check runs")
    run = _run("fre_multi_lora", "paper")
    validate_with_verl(to_verl_config(run, run.stage("fre_multi"), "/m"))
    run = _run("fre_multi_lora", "paper", "stages.fre_multi.lora.rank=1000")
    with pytest.raises(ValueError, match="lora_rank must be less than or equal to 512"):
        validate_with_verl(to_verl_config(run, run.stage("fre_multi"), "/m"))
