"""Packaging for lmmr1.

The repository keeps ``recipes/``, ``rewards/`` and ``envs/`` at the top level (the design card asks for
it), but they are installed as ``lmmr1.recipes``, ``lmmr1.rewards`` and ``lmmr1.envs`` so that nothing
generic lands in site-packages. Built-in rewards are declared through the same ``lmmr1.rewards``
entry-point group a third-party plug-in uses, so ``lmmr1 ls rewards`` and the runtime see one list.
"""

from setuptools import find_packages, setup

# Exact pins live in requirements/constraints.txt (a set measured to work together on CPU);
# here we state the ranges lmmr1 needs so that it can be installed into other environments.
# torch is bounded so that an existing CPU torch 2.13 satisfies it and nothing pulls a CUDA build.
INSTALL_REQUIRES = [
    "verl[verl-core]==0.9.1",
    "torch>=2.6,<=2.13.0",
    "ray[default]>=2.40",
    "transformers>=4.51,<6",
    "hydra-core>=1.3.2,<1.4",
    "omegaconf>=2.3,<2.4",
    "sympy>=1.12",
    "gymnasium>=1.0,<2",
    "numpy>=1.26",
    "pillow>=10",
    "pyarrow>=15",
    "safetensors>=0.4",
    "tqdm>=4.60",
    # evaluation reports and run plots (PNG bar charts and curves)
    "matplotlib>=3.8",
    # version checks of lmmr1's run-time patches (lmmr1/verl/patches.py)
    "packaging>=23",
    # verl 0.9.1 builds the critic (value model) of a vision-language model with trl's
    # AutoModelForCausalLMWithValueHead, which trl 1.13 removed: GAE stages (MGT-Geo, MGT-Sokoban) need it
    # at every scale
    "trl>=1.0,<1.13",
    # the math reward's fallback for answers its own parser cannot read (matrix expressions), run in the
    # reward's time-limited worker pool; also the peer in benchmarks/. antlr 4.9.3 because
    # hydra-core/omegaconf pin that runtime.
    "math-verify[antlr4_9_3]>=0.9,<0.10",
]

EXTRAS = {
    # Paper-scale rollout and kernels: the set verl 0.9.1 is tested with (its own `vllm` extra: vLLM 0.24.0,
    # torch 2.11.0, transformers 5.9.0; flash-attn 2.8.3 as in its `flash-attn-cu130torch211` extra).
    # Never installed on CPU machines: vLLM has no CPU wheel here and flash-attn needs CUDA.
    "gpu": ["verl[vllm]==0.9.1", "flash-attn==2.8.3"],
    # benchmarks/ need nothing beyond the base dependencies (math-verify, their peer, is one); the extra
    # stays so that existing install lines keep working.
    "bench": [],
    # playwright drives Debian's Chromium (/usr/bin/chromium, installed by .ci/run) for the `lmmr1 view`
    # browser test; it never downloads a browser
    "test": ["pytest>=8", "pytest-timeout>=2.3", "ruff>=0.17,<0.18", "playwright>=1.63,<1.64"],
}

PACKAGE_DIR = {
    "lmmr1": "lmmr1",
    "lmmr1.recipes": "recipes",
    "lmmr1.rewards": "rewards",
    "lmmr1.envs": "envs",
}


def _packages() -> list[str]:
    packages = find_packages(include=["lmmr1", "lmmr1.*"])
    for name, folder in PACKAGE_DIR.items():
        if name == "lmmr1":
            continue
        packages.append(name)
        packages += [f"{name}.{sub}" for sub in find_packages(where=folder)]
    return sorted(set(packages))


setup(
    name="lmmr1",
    version="0.1.0",
    description="Two-stage rule-based RL for small multimodal models (LMM-R1) as a reproducible verl + Ray library",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    license_files=["LICENSE"],
    classifiers=[
        "Programming Language :: Python :: 3",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
    python_requires=">=3.10",
    packages=_packages(),
    package_dir=PACKAGE_DIR,
    include_package_data=True,
    package_data={
        "lmmr1.recipes": ["*.yaml", "**/*.yaml"],
        "lmmr1": ["sample_data/*", "sample_data/**/*", "assets/*"],
        "lmmr1.envs": ["assets/*"],
        "lmmr1.report": ["published/*.json"],
    },
    install_requires=INSTALL_REQUIRES,
    extras_require=EXTRAS,
    entry_points={
        "console_scripts": ["lmmr1=lmmr1.cli:main"],
        # vLLM runs these in its engine and worker processes; a no-op outside vLLM's CPU build (scale=cpu_vllm)
        "vllm.general_plugins": ["lmmr1_cpu_keep_linear_weights = lmmr1.verl.vllm_cpu:register"],
        # Built-in rewards: same group and shape as a third-party plug-in.
        "lmmr1.rewards": [
            "format = lmmr1.rewards.format:format_reward",
            "math = lmmr1.rewards.math:math_reward",
            "lmm_r1 = lmmr1.rewards.lmm_r1:lmm_r1_reward",
            "regex = lmmr1.rewards.regex:regex_reward",
            "choice = lmmr1.rewards.choice:choice_reward",
            "iou = lmmr1.rewards.iou:iou_reward",
            "stage_format = lmmr1.rewards.stage_format:stage_format_reward",
            "format_iou = lmmr1.rewards.format_iou:format_iou_reward",
            "sokoban_global = lmmr1.rewards.sokoban:sokoban_global_reward",
            "sanity_digit = lmmr1.rewards.sanity:digit_reward",
            "benchmark = lmmr1.eval.reward:benchmark_reward",
        ],
        # Built-in benchmarks of `lmmr1 eval`: same group and shape as a third-party plug-in.
        "lmmr1.benchmarks": [
            "math500 = lmmr1.eval.benchmarks.text:MATH500",
            "gpqa_diamond = lmmr1.eval.benchmarks.text:GPQADiamond",
            "olympiadbench = lmmr1.eval.benchmarks.multimodal:OlympiadBench",
            "mathvision = lmmr1.eval.benchmarks.multimodal:MathVision",
            "mathverse = lmmr1.eval.benchmarks.multimodal:MathVerse",
            "mmstar = lmmr1.eval.benchmarks.multimodal:MMStar",
            "vrc_bench = lmmr1.eval.benchmarks.vrc_bench:VRCBench",
            "mathvista = lmmr1.eval.benchmarks.multimodal:MathVista",
            "sokoban_global = lmmr1.eval.benchmarks.agents:SokobanGlobal",
            "football_online = lmmr1.eval.benchmarks.agents:FootballOnline",
        ],
    },
)
