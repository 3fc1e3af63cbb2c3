"""End-to-end runs through verl on CPU (slow; CI runs them): learning signal, smoke FRE-Text, resume."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _main(args: list[str], env: dict, cwd: Path, timeout: int = 1200) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lmmr1.main", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout
    )


def _metrics(out_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (out_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]


def _in_logs(out_dir: Path, needle: str) -> bool:
    """Whether verl's or a worker's output (OUTPUT/logs/STAGE-N -> the Ray session's logs) contains ``needle``."""
    logs = list((out_dir / "logs").iterdir())
    assert logs, "no logs linked under OUTPUT/logs"
    return any(needle in p.read_text(errors="ignore") for d in logs for p in d.rglob("*") if p.is_file())


def _ray_processes() -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if "raylet" in line or "gcs_server" in line]


def test_sanity_reward_rises_through_verl_on_cpu(tmp_path, lmmr1_env):
    """The trainer, the HF rollout and the weight sync work together: the reward must climb."""
    out_dir = tmp_path / "sanity"
    # the README's recording command (deterministic=true: the recorded curve is the one this run draws)
    result = _main(["+recipe=sanity", "deterministic=true", f"output_dir={out_dir}"], lmmr1_env, tmp_path)
    assert result.returncode == 0, result.stderr[-4000:]
    rows = [r for r in _metrics(out_dir) if "critic/score/mean" in r]
    assert len(rows) >= 10
    rewards = [r["critic/score/mean"] for r in sorted(rows, key=lambda r: r["step"])]
    assert all(0.0 <= x <= 1.0 for x in rewards)
    first, last = sum(rewards[:5]) / 5, sum(rewards[-5:]) / 5
    print("sanity curve:", [round(x, 3) for x in rewards])
    assert last - first >= 0.3, rewards
    # Weight sync is real: the rollout samples from the weights being trained. The policy moves from
    # near-uniform (p ~ 1/1000) to peaked (p ~ 0.5), so a stale rollout would differ by ~0.5 in
    # probability; batched-vs-unbatched float noise stays around 1e-2 at most.
    assert max(r["training/rollout_probs_diff_max"] for r in rows) < 0.1
    assert max(r["training/rollout_probs_diff_mean"] for r in rows) < 0.05


def test_fre_text_smoke_run_writes_manifest_metrics_checkpoint_then_resumes(tmp_path, lmmr1_env):
    out_dir = tmp_path / "fre_text"
    start = time.monotonic()
    result = _main(["+recipe=fre_text", f"output_dir={out_dir}"], lmmr1_env, tmp_path)
    elapsed = time.monotonic() - start
    assert result.returncode == 0, result.stderr[-4000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert "fre_text: done" in summary and "steps" in summary and "mean reward" in summary
    # a quiet console: lmmr1's own lines and a progress bar; verl's output is in the linked log files
    console = (result.stdout + result.stderr.replace("\r", "\n")).splitlines()
    assert len([line for line in console if line.strip()]) < 30, console
    assert not any("TaskRunner" in line or "WorkerDict" in line for line in console)
    assert _in_logs(out_dir, "Training Progress")  # verl's own console output, in the logs
    manifest = json.loads((out_dir / "manifest.json").read_text())
    (stage,) = manifest["stages"]
    assert stage["status"] == "done" and stage["attempts"] == 1
    export = Path(stage["hf_export"])
    assert (export / "config.json").exists() and list(export.glob("*.safetensors"))
    rows = _metrics(out_dir)
    assert rows and all(r["stage"] == "fre_text" for r in rows)
    assert {"step", "critic/score/mean"} <= set(rows[-1])
    print(f"fre_text smoke: {elapsed:.0f}s")
    assert not _ray_processes(), "local Ray must be shut down"
    # second run of the same command: the finished stage is skipped, nothing is retrained
    again = _main(["+recipe=fre_text", f"output_dir={out_dir}"], lmmr1_env, tmp_path, timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "already done" in again.stderr
    assert json.loads((out_dir / "manifest.json").read_text())["stages"][0]["attempts"] == 1


def test_ctrl_c_marks_the_stage_failed_leaves_no_ray_behind_and_the_rerun_finishes(tmp_path, lmmr1_env):
    out_dir = tmp_path / "interrupted"
    proc = subprocess.Popen(
        [sys.executable, "-m", "lmmr1.main", "+recipe=fre_text", f"output_dir={out_dir}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=lmmr1_env,
        cwd=tmp_path,
        # a test run started in the background (`cmd &` in a script) passes SIGINT on as *ignored*, and Python
        # then never raises KeyboardInterrupt: the launcher gets the disposition a terminal would give it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    manifest = out_dir / "manifest.json"
    logs = out_dir / "logs"
    deadline = time.monotonic() + 300
    # interrupt once the stage's Ray session is up (its log link exists) and verl is starting: a fixed delay
    # raced the 3-step smoke stage on a fast machine (it finished before the signal arrived)
    while time.monotonic() < deadline:
        if manifest.exists() and '"running"' in manifest.read_text() and logs.is_dir() and any(logs.iterdir()):
            break
        time.sleep(0.5)
    time.sleep(2)
    assert proc.poll() is None, "the stage ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    try:
        proc.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode != 0
    stage = json.loads(manifest.read_text())["stages"][0]
    assert stage["status"] == "failed" and "interrupted" in stage["error"]
    time.sleep(3)
    assert not _ray_processes(), _ray_processes()
    # the same command again resumes the stage and finishes it
    again = _main(["+recipe=fre_text", f"output_dir={out_dir}"], lmmr1_env, tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    stage = json.loads(manifest.read_text())["stages"][0]
    assert stage["status"] == "done" and stage["attempts"] == 2 and stage["error"] is None


def test_multimodal_stage_runs_with_the_tiny_qwen3_vl(tmp_path, lmmr1_env):
    """FRE-Multi at smoke scale: image rows through verl's dataset, the HF rollout and FSDP2 on CPU; on the
    second family, Qwen3-VL (issue 26), whose rollout log-probs must match the trainer's."""
    sys.path.insert(0, str(Path(__file__).parent / "eval"))
    from fixtures import write_benchmarks

    bench = write_benchmarks(tmp_path / "bench")
    out_dir = tmp_path / "fre_multi"
    # also: validation on benchmark items through verl's validation hook (before training and at step 3)
    result = _main(
        [
            "+recipe=fre_multi",
            "model=tiny_qwen3_vl",
            f"output_dir={out_dir}",
            "+stages.fre_multi.test_freq=3",
            f"+stages.fre_multi.validation={{benchmarks: [mathvista, mmstar], data_dir: {bench}, limit: 3}}",
        ],
        lmmr1_env,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert not _in_logs(out_dir, "Error in _run_prompt")
    validations = [r for r in _metrics(out_dir) if "val/mathvista/score" in r]
    assert len(validations) == 2 and all("val/mmstar/score" in r for r in validations)
    assert all(0.0 <= r["val/mathvista/score"] <= 100.0 for r in validations)
    scored = [json.loads(l) for l in (out_dir / "fre_multi" / "reward_rows.jsonl").read_text().splitlines()]
    bench_rows = [r for r in scored if r["data_source"].startswith("bench/")]
    assert len(bench_rows) == 2 * 6 and not any(r.get("error") for r in bench_rows)
    stage = json.loads((out_dir / "manifest.json").read_text())["stages"][0]
    assert stage["status"] == "done" and "qwen3_vl" in stage["init_model"]
    config = json.loads((Path(stage["hf_export"]) / "config.json").read_text())
    assert config["model_type"] == "qwen3_vl"
    training = [r for r in _metrics(out_dir) if "training/rollout_probs_diff_max" in r]
    assert len(training) == 3 and all(r["training/rollout_probs_diff_max"] < 1e-3 for r in training), training


def test_sokoban_online_plays_multi_turn_games_with_the_tiny_qwen3_vl(tmp_path, lmmr1_env):
    """Sokoban-Online on the second family (issue 26): rendered boards as Qwen3-VL vision tokens, turn after
    turn, inside verl's agent loop."""
    out_dir = tmp_path / "sokoban_qwen3"
    result = _main(["+recipe=sokoban_online", "model=tiny_qwen3_vl", f"output_dir={out_dir}"], lmmr1_env, tmp_path)
    assert result.returncode == 0, result.stderr[-4000:]
    (stage,) = json.loads((out_dir / "manifest.json").read_text())["stages"]
    assert stage["status"] == "done" and "qwen3_vl" in stage["init_model"]
    rows = [r for r in _metrics(out_dir) if "critic/score/mean" in r]
    assert len(rows) == 3 and max(r["num_turns/max"] for r in rows) >= 4, rows
    assert all(r["training/rollout_probs_diff_max"] < 1e-3 for r in rows), rows
    # the token log keeps the boards the environment inserted between turns apart from the policy's tokens
    logged = [json.loads(x) for x in (out_dir / "sokoban_online" / "tokens.jsonl").read_text().splitlines()]
    per_step = [sum(r["step"] == k for r in logged) for k in (1, 2, 3)]  # log_tokens=8 or the whole batch if less
    assert per_step[0] > 0 and len(set(per_step)) == 1 and all(len(r["policy"]) == len(r["tokens"]) for r in logged)
    assert any(0 in r["policy"] for r in logged) and all(r["policy"][0] == 1 for r in logged)


def test_joining_an_existing_ray_cluster_leaves_it_running(tmp_path, lmmr1_env):
    """ray.address=HOST:PORT runs the stage on that cluster and does not shut the cluster down."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ray_bin = str(Path(sys.executable).parent / "ray")
    env = dict(lmmr1_env, RAY_ADDRESS="")
    env.pop("RAY_ADDRESS")
    start = subprocess.run(
        [
            ray_bin,
            "start",
            "--head",
            f"--port={port}",
            "--num-cpus=16",
            "--num-gpus=1",
            "--include-dashboard=false",
            "--disable-usage-stats",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    assert start.returncode == 0, start.stderr[-2000:]
    try:
        out_dir = tmp_path / "cluster"
        result = _main(["+recipe=fre_text", "scale=smoke", "ray.address=auto", f"output_dir={out_dir}"], env, tmp_path)
        assert result.returncode == 0, result.stderr[-4000:]
        assert "joining Ray cluster at auto" in result.stderr
        assert json.loads((out_dir / "manifest.json").read_text())["stages"][0]["status"] == "done"
        probe = "import ray; ray.init(address='auto'); print('NODES', len(ray.nodes()))"
        status = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
        assert status.returncode == 0 and "NODES 1" in status.stdout, "the joined cluster must still be up"
    finally:
        subprocess.run([ray_bin, "stop", "--force"], capture_output=True, env=env, timeout=120)


def test_a_reward_plugin_from_another_distribution_drives_a_training_run(tmp_path, lmmr1_env):
    """examples/reward_plugin, installed as its own distribution, is picked by name in a recipe override."""
    import shutil

    src = Path(__file__).resolve().parents[1] / "examples" / "reward_plugin"
    copy, site = tmp_path / "plugin_src", tmp_path / "site"
    shutil.copytree(src, copy, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(site),
            str(copy),
        ],
        check=True,
        capture_output=True,
    )
    env = dict(lmmr1_env, PYTHONPATH=str(site) + os.pathsep + lmmr1_env.get("PYTHONPATH", ""))
    out_dir = tmp_path / "plugin_run"
    result = _main(
        ["+recipe=fre_text", "stages.fre_text.reward.name=contains_answer", f"output_dir={out_dir}"], env, tmp_path
    )
    assert result.returncode == 0, result.stderr[-4000:]
    rows = [r for r in _metrics(out_dir) if "critic/score/mean" in r]
    assert rows and all(r.get("reward/rows", 0) > 0 for r in rows)
    scored = [json.loads(l) for l in (out_dir / "fre_text" / "reward_rows.jsonl").read_text().splitlines()]
    assert scored and all(set(r) >= {"score", "acc"} for r in scored)


def test_two_stage_curriculum_hands_the_checkpoint_over(tmp_path, lmmr1_env):
    """FRE-Text -> MGT-PerceReason at smoke scale: stage 2 starts from stage 1's HF export, automatically.

    Then the tools that show a run, on this real output: status, plot, view (and the page in Chromium),
    and verl's TensorBoard logger asked for with ``logger=[console,tensorboard]`` (offline event files)."""
    out_dir = tmp_path / "curriculum"
    # stage 1 trains LoRA adapters; stage 2 goes on training them (lora.continue_previous) on stage 1's base
    # (the merged hand-off, a stage starting from the merged export, is checked by the SFT kill-and-resume run)
    result = _main(
        [
            "+recipe=mgt_percereason",
            f"output_dir={out_dir}",
            "logger=[console,tensorboard]",
            "+stages.fre_text.lora={rank: 8, alpha: 16}",
            "+stages.mgt_percereason.lora={rank: 8, alpha: 16, continue_previous: true}",
        ],
        lmmr1_env,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert "LoRA rank 8 alpha 16 (vision tower frozen)" in result.stdout + result.stderr
    first, second = json.loads((out_dir / "manifest.json").read_text())["stages"]
    assert first["status"] == second["status"] == "done"
    from lmmr1.run.lora_export import is_peft_export

    assert not is_peft_export(Path(first["hf_export"])) and not is_peft_export(Path(second["hf_export"]))
    adapter = Path(first["hf_export"]).parent / "lora_adapter"
    assert (adapter / "adapter_config.json").exists()
    _check_adapter_continued(out_dir, first, second, adapter, result.stderr)
    assert {r["stage"] for r in _metrics(out_dir)} == {"fre_text", "mgt_percereason"}
    assert not _ray_processes()
    for stage in ("fre_text", "mgt_percereason"):
        assert list((out_dir / stage / "tensorboard").glob("events.out.tfevents.*")), stage
    _check_logged_tokens(out_dir / "fre_text" / "tokens.jsonl", Path(first["init_model"]))
    _check_run_views(out_dir, tmp_path)


def _check_adapter_continued(out_dir: Path, first: dict, second: dict, adapter: Path, console: str) -> None:
    """Stage 2 started from stage 1's base with stage 1's adapter: the manifest and console say so, verl's
    worker loaded that adapter, and stage 2's own adapter records the same base (one adapter over one base)."""
    assert second["init_model"] == first["init_model"] and second["init_adapter"] == str(adapter)
    assert f"continuing the adapter {adapter}" in console
    worker_logs = "".join(p.read_text(errors="replace") for p in (out_dir / "logs").rglob("*") if p.is_file())
    assert f"Loading pre-trained LoRA adapter to from: {adapter}" in worker_logs
    config = json.loads((Path(second["hf_export"]).parent / "lora_adapter" / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == first["init_model"] and config["r"] == 8
    lmmr1 = str(Path(sys.executable).with_name("lmmr1"))
    status = subprocess.run([lmmr1, "status", str(out_dir)], capture_output=True, text=True, check=True).stdout
    assert "LoRA rank 8 alpha 16, continuing the adapter of stage:fre_text" in status


def _check_logged_tokens(log: Path, init_model: Path) -> None:
    """The token log (log_tokens=8 a step) holds verl's numbers: a teacher-forced recomputation with the
    weights that sampled step 1 (the stage's initial model; LoRA's B starts at zero) gives the same
    log-probabilities and entropies within 1e-3, and the same comparison one position off does not."""
    sys.path.insert(0, str(Path(__file__).parent / "verl"))
    from teacher_forced import teacher_forced

    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(rows) == 3 * 8 and {r["step"] for r in rows} == {1, 2, 3}
    shifted = []
    for row in [r for r in rows if r["step"] == 1][:4]:
        assert len(row["ids"]) == len(row["tokens"]) == len(row["logprob"]) == len(row["entropy"]) > 0
        logprob, entropy = teacher_forced(init_model, row)
        assert max(abs(a - b) for a, b in zip(entropy, row["entropy"])) < 1e-3
        assert max(abs(a - b) for a, b in zip(logprob, row["logprob"])) < 1e-3
        if len(logprob) > 1:  # a response that ended at once has no second position to shift to
            shifted.append(max(abs(a - b) for a, b in zip(logprob[1:], row["logprob"])))
    assert shifted and min(shifted) > 1e-2, f"the check must see a one-position shift: {shifted}"


def _check_run_views(out_dir: Path, tmp_path: Path) -> None:
    import re

    sys.path.insert(0, str(Path(__file__).parent / "report"))
    from run_fixtures import CHROMIUM, browser_required, check_in_browser, not_blank

    lmmr1 = str(Path(sys.executable).with_name("lmmr1"))
    status = subprocess.run([lmmr1, "status", str(out_dir)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"fre_text\s+done\s+3/3", status) and re.search(r"mgt_percereason\s+done\s+3/3", status)
    assert "next: nothing" in status
    subprocess.run([lmmr1, "plot", str(out_dir)], capture_output=True, text=True, check=True)
    for name in ("overview.png", "reward.png", "response_length.png", "entropy.png"):
        assert not_blank(out_dir / "plots" / name), name
    subprocess.run([lmmr1, "view", str(out_dir)], capture_output=True, text=True, check=True)
    page = (out_dir / "view.html").read_text()
    rows = json.loads(re.search(r'<script type="application/json" id="rows">(.*?)</script>', page, re.S).group(1))
    assert {r[0] for r in rows} == {"fre_text", "mgt_percereason"}
    assert all(r[6] for r in rows) and sum(bool(r[8]) for r in rows) > len(rows) // 2, "responses and golds logged"
    prompts = json.loads(re.search(r'<script type="application/json" id="prompts">(.*?)</script>', page, re.S).group(1))
    multimodal = [prompts[r[9]] for r in rows if r[0] == "mgt_percereason" and r[9]]
    assert multimodal and all(p[1].startswith("data:image/jpeg;base64,") for p in multimodal), "prompt images shown"
    if not Path(CHROMIUM).exists() and not browser_required():
        return
    result = check_in_browser(out_dir / "view.html", "mgt_percereason", tmp_path / "shot.png")
    assert result["errors"] == [] and result["network"] == []
    assert result["stages_after"] == ["mgt_percereason"] and result["stages_before"] == ["fre_text", "mgt_percereason"]
    assert not_blank(tmp_path / "shot.png")
    # the token view: the newest 12 logged responses of each stage, every token with its values, one graph
    # node per step the parser reads in the response
    from lmmr1.report.reasoning import reasoning_steps

    tokens = result["tokens"]
    logged = {
        s: [json.loads(x) for x in (out_dir / s / "tokens.jsonl").read_text().splitlines()][-12:]
        for s in ("fre_text", "mgt_percereason")
    }
    assert tokens["spans"] == sum(len(r["tokens"]) for rows in logged.values() for r in rows)
    assert all(t.startswith("p=") and " · H=" in t for t in tokens["titles"])
    expected = [len(reasoning_steps("".join(r["tokens"]))) for rows in logged.values() for r in rows]
    assert [nodes for _, nodes in tokens["responses"]] == expected and sum(expected) >= 24


def test_dapo_preset_filters_groups_in_a_cpu_run(tmp_path, lmmr1_env):
    """`algorithm=dapo` reaches verl: dynamic sampling evicts groups whose rewards are all equal, the overlong
    shaping is logged as a reward component, and the overlong filter masks the truncated responses."""
    out_dir = tmp_path / "dapo"
    result = _main(
        [
            "+recipe=sanity",
            "algorithm=dapo",
            "stages.sanity.smoke.total_steps=3",
            # a 3-token budget: most of the untrained model's responses are cut, a few stop (end-of-sequence)
            "stages.sanity.smoke.max_response_length=3",
            f"output_dir={out_dir}",
        ],
        lmmr1_env,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    rows = [r for r in _metrics(out_dir) if "critic/score/mean" in r]
    assert len(rows) == 3
    assert sum(r.get("training/filter_groups/evicted_samples", 0) for r in rows) > 0, rows
    # DAPO's overlong shaping: the buffer is the last token of 3, so 3-token responses pay the full penalty
    assert all(-1.0 <= r["reward/overlong/mean"] < 0 for r in rows), rows
    # the filter: cut responses are masked (some, not all: the stopped ones train), and verl's length metrics
    # still see every generated token once the updates are done (a masked row would count as length 0)
    assert all(0 < r["overlong_filter/masked_share"] < 1 for r in rows), rows
    assert all(r["overlong_filter/truncated_share"] <= r["response_length/clip_ratio"] for r in rows), rows
    assert all(r["response_length/min"] >= 1 for r in rows), rows


def test_mgt_geo_runs_stage_2_with_gae_and_a_critic_on_cpu(tmp_path, lmmr1_env):
    """FRE-Text -> MGT-Geo at smoke scale: stage 2 is PPO with a critic initialised from the actor (GAE), as
    in the paper; the start-up line and the manifest say so, metrics.jsonl has the critic's value loss."""
    out_dir = tmp_path / "mgt_geo"
    result = _main(["+recipe=mgt_geo", f"output_dir={out_dir}"], lmmr1_env, tmp_path)
    assert result.returncode == 0, result.stderr[-4000:]
    assert re.search(r"stage mgt_geo: gae \(gae\)", result.stdout + result.stderr), result.stdout[-2000:]
    first, second = json.loads((out_dir / "manifest.json").read_text())["stages"]
    assert second["settings"]["algorithm.estimator"] == "gae" and second["settings"]["algorithm.use_critic"]
    assert second["init_model"] == first["hf_export"]
    rows = [r for r in _metrics(out_dir) if r["stage"] == "mgt_geo" and "critic/score/mean" in r]
    assert len(rows) == 3 and all("critic/vf_loss" in r for r in rows)
    assert (out_dir / "mgt_geo" / "checkpoints" / "global_step_3" / "critic").is_dir()


def test_mgt_sokoban_trains_a_critic_on_cpu(tmp_path, lmmr1_env):
    """MGT-Sokoban at smoke scale: GAE with a critic, as in the paper's script."""
    out_dir = tmp_path / "mgt_sokoban"
    result = _main(["+recipe=mgt_sokoban", f"output_dir={out_dir}"], lmmr1_env, tmp_path)
    assert result.returncode == 0, result.stderr[-4000:]
    (stage,) = json.loads((out_dir / "manifest.json").read_text())["stages"]
    assert stage["status"] == "done" and stage["settings"]["algorithm.use_critic"]
    rows = [r for r in _metrics(out_dir) if "critic/score/mean" in r]
    assert rows and all("critic/vf_loss" in r for r in rows)


def test_mgt_football_plays_multi_turn_games_inside_verl_after_fre_text(tmp_path, lmmr1_env):
    """FRE-Text -> MGT-Football: stage 2 starts from stage 1's export and plays several turns per game."""
    out_dir = tmp_path / "mgt_football"
    result = _main(["+recipe=mgt_football", f"output_dir={out_dir}"], lmmr1_env, tmp_path)
    assert result.returncode == 0, result.stderr[-4000:]
    first, second = json.loads((out_dir / "manifest.json").read_text())["stages"]
    assert first["status"] == second["status"] == "done" and second["init_model"] == first["hf_export"]
    rows = [r for r in _metrics(out_dir) if r["stage"] == "mgt_football" and "critic/score/mean" in r]
    # verl counts user + assistant messages: more than 2 means the model acted, saw the new frame, acted again
    assert rows and max(r["num_turns/max"] for r in rows) > 2


def test_a_user_curriculum_from_a_folder_outside_the_package_runs(tmp_path, lmmr1_env):
    """examples/curriculum copied elsewhere, found through hydra.searchpath: built-in stage + inline stage."""
    import shutil

    folder = tmp_path / "my_recipes"
    shutil.copytree(Path(__file__).resolve().parents[1] / "examples" / "curriculum", folder)
    out_dir = tmp_path / "mine"
    # the run also trains verl's GSPO and CISPO policy losses, one per stage (the presets of recipes/algorithm/)
    result = _main(
        [
            f"hydra.searchpath=[file://{folder}]",
            "+recipe=my_curriculum",
            "stages.fre_text.algorithm=gspo",
            "stages.digits.algorithm=cispo",
            f"output_dir={out_dir}",
        ],
        lmmr1_env,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    manifest = json.loads((out_dir / "manifest.json").read_text())
    assert [s["name"] for s in manifest["stages"]] == ["fre_text", "digits"]
    assert all(s["status"] == "done" for s in manifest["stages"])
    assert [s["settings"]["algorithm.policy_loss"] for s in manifest["stages"]] == ["gspo", "cispo"]
    for stage in ("fre_text", "digits"):
        rows = [r for r in _metrics(out_dir) if r["stage"] == stage and "actor/pg_loss" in r]
        assert len(rows) == 3 and all(math.isfinite(r["actor/pg_loss"]) for r in rows), (stage, rows)
    assert manifest["stages"][1]["init_model"].endswith("fre_text/checkpoints/global_step_3/actor/huggingface")


def test_r1_onevision_runs_sft_then_grpo_from_its_export(tmp_path, lmmr1_env):
    """R1-Onevision at smoke scale: an SFT stage whose loss falls, then GRPO from the SFT stage's HF export.
    On the second family, Qwen3-VL (issue 26): its chat template and vision tokens through SFT and RL."""
    out_dir = tmp_path / "r1ov"
    result = _main(["+recipe=r1_onevision", "model=tiny_qwen3_vl", f"output_dir={out_dir}"], lmmr1_env, tmp_path)
    assert result.returncode == 0, result.stderr[-4000:]
    sft, grpo = json.loads((out_dir / "manifest.json").read_text())["stages"]
    assert sft["status"] == grpo["status"] == "done"
    assert "qwen3_vl" in sft["init_model"]
    assert json.loads((Path(grpo["hf_export"]) / "config.json").read_text())["model_type"] == "qwen3_vl"
    assert sft["hf_export"].endswith("sft/checkpoints/global_step_8/huggingface")
    assert grpo["init_model"] == sft["hf_export"]
    rows = sorted(_metrics(out_dir), key=lambda r: r["step"])
    losses = [r["train/loss"] for r in rows if r["stage"] == "sft" and "train/loss" in r]
    assert len(losses) == 8
    assert losses[-1] < losses[0] - 0.3 and sum(losses[-3:]) < sum(losses[:3]), losses
    assert sft["first_loss"] == pytest.approx(losses[0]) and sft["last_loss"] == pytest.approx(losses[-1])
    assert "stage sft: sft (lr 0.001, batch 8)" in result.stderr
    assert re.search(r"sft: done, 8 steps, loss [0-9.]+ -> [0-9.]+", result.stdout)
    assert any("critic/score/mean" in r for r in _metrics(out_dir) if r["stage"] == "grpo")
    assert not _ray_processes()


def _kill_run(proc: subprocess.Popen, out_dir: Path) -> None:
    """SIGKILL the launcher's process group, then its Ray session (a kill -9 leaves Ray's processes running).

    Ray's head processes name the session in their arguments; its agents and workers rename themselves
    (``ray::...``), so they are found as descendants of those processes.
    """
    sessions = {os.path.basename(os.path.realpath(p).split("/logs")[0]) for p in (out_dir / "logs").iterdir()}
    table = []
    for line in subprocess.run(["ps", "-eo", "pid,ppid,args"], capture_output=True, text=True).stdout.splitlines()[1:]:
        pid, ppid, *args = line.split(None, 2)
        table.append((int(pid), int(ppid), args[0] if args else ""))
    doomed = {pid for pid, _, args in table if any(s in args for s in sessions)}
    while True:
        more = {pid for pid, ppid, _ in table if ppid in doomed and pid not in doomed}
        if not more:
            break
        doomed |= more
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    for pid in doomed:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    time.sleep(2)


def test_an_sft_stage_in_the_middle_survives_a_kill_and_hands_over(tmp_path, lmmr1_env):
    """FRE-Text -> SFT -> RL (examples/curriculum): kill -9 during the SFT stage, re-run, it resumes, all finish.
    The SFT stage trains LoRA adapters (issue 26): resumed from verl's sharded checkpoint, exported as adapter +
    merged model, and the RL stage starts from the merged model."""
    examples = Path(__file__).resolve().parents[1] / "examples" / "curriculum"
    out_dir = tmp_path / "middle"
    # more SFT steps than the example's smoke block, so the kill lands between two of its checkpoints
    args = [
        f"hydra.searchpath=[file://{examples}]",
        "+recipe=fre_sft_mgt",
        f"output_dir={out_dir}",
        "stages.cot_sft.smoke.total_steps=12",
        "+stages.cot_sft.lora={rank: 8, alpha: 16}",
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "lmmr1.main", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=lmmr1_env,
        cwd=tmp_path,
        start_new_session=True,
    )
    marker = out_dir / "cot_sft" / "checkpoints" / "latest_checkpointed_iteration.txt"
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline and proc.poll() is None:
        if marker.exists() and marker.read_text().strip().isdigit() and int(marker.read_text()) >= 2:
            break
        time.sleep(0.2)
    assert proc.poll() is None, proc.communicate()[1][-4000:]
    _kill_run(proc, out_dir)
    killed_at = int(marker.read_text())
    assert killed_at < 12, "the SFT stage finished before the kill"
    stages = {s["name"]: s for s in json.loads((out_dir / "manifest.json").read_text())["stages"]}
    assert stages["fre_text"]["status"] == "done" and stages["cot_sft"]["status"] == "running"
    assert not _ray_processes(), _ray_processes()

    again = _main(args, lmmr1_env, tmp_path)
    assert again.returncode == 0, again.stderr[-4000:]
    assert f"resuming after step {killed_at}" in again.stderr
    stages = {s["name"]: s for s in json.loads((out_dir / "manifest.json").read_text())["stages"]}
    assert all(s["status"] == "done" for s in stages.values())
    assert stages["cot_sft"]["attempts"] == 2
    assert stages["cot_sft"]["init_model"] == stages["fre_text"]["hf_export"]
    assert stages["perception"]["init_model"] == stages["cot_sft"]["hf_export"]
    assert stages["cot_sft"]["hf_export"].endswith("cot_sft/checkpoints/global_step_12/huggingface")
    from lmmr1.run.lora_export import is_peft_export

    sft_export = Path(stages["cot_sft"]["hf_export"])
    assert not is_peft_export(sft_export) and (sft_export.parent / "lora_adapter" / "adapter_config.json").exists()
    steps = [r["step"] for r in _metrics(out_dir) if r["stage"] == "cot_sft" and "train/loss" in r]
    assert sorted(steps) == list(range(1, 13)), steps  # no step lost or counted twice across the kill
    assert (out_dir / "cot_sft" / "verl_metrics.attempt-1.jsonl").exists()  # the first attempt's raw lines, kept
    assert not _ray_processes()


def test_llava_cot_and_llamav_o1_train_on_the_bundled_staged_answers(tmp_path, lmmr1_env):
    """LLaVA-CoT (SFT on four-stage answers, then GRPO rewarded by stage_format + accuracy) and LlamaV-o1 (SFT on
    summary + caption, then on the whole answer from that model), at smoke scale from samples written for lmmr1."""
    out_dir = tmp_path / "llava_cot"
    result = _main(["+recipe=llava_cot", f"output_dir={out_dir}"], lmmr1_env, tmp_path)
    assert result.returncode == 0, result.stderr[-4000:]
    sft, grpo = json.loads((out_dir / "manifest.json").read_text())["stages"]
    assert sft["status"] == grpo["status"] == "done" and grpo["init_model"] == sft["hf_export"]
    assert sft["last_loss"] < sft["first_loss"]
    rows = [r for r in _metrics(out_dir) if r["stage"] == "grpo" and "critic/score/mean" in r]
    assert len(rows) == 3 and all("reward/stage_format/mean" in r and "reward/acc/mean" in r for r in rows), rows
    out_dir = tmp_path / "llamav_o1"
    result = _main(["+recipe=llamav_o1", f"output_dir={out_dir}"], lmmr1_env, tmp_path)
    assert result.returncode == 0, result.stderr[-4000:]
    first, second = json.loads((out_dir / "manifest.json").read_text())["stages"]
    assert first["name"] == "summary_caption" and second["name"] == "full_reasoning"
    assert first["status"] == second["status"] == "done" and second["init_model"] == first["hf_export"]
