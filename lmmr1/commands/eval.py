"""``lmmr1 eval``: evaluate a model (or every stage of a run) on the paper's benchmarks.

    lmmr1 eval --model runs/mgt_percereason --benchmarks math500,mathvista --data-dir ~/bench --output eval/
    lmmr1 eval --responses answers.jsonl --benchmarks mmstar --data-dir ~/bench --output eval/rescored

``--model`` is a model folder (``config.json`` + weights) or a run directory, meaning each finished stage's
HF export (results in ``OUTPUT/STAGE/``). Benchmarks read ``DATA_DIR/<benchmark>/`` as the public dataset
repository distributes it (``lmmr1 ls benchmarks``). Re-running with the same ``--output`` resumes.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from lmmr1.commands.arguments import float_above, int_at_least, positive_int
from lmmr1.errors import UserError
from lmmr1.run.layout import EvalPaths

DEFAULT_BENCHMARKS = [
    "math500",
    "gpqa_diamond",
    "olympiadbench",
    "mathvision",
    "mathverse",
    "mmstar",
    "mathvista",
    "sokoban_global",
    "football_online",
]
_OLD_FOOTBALL_FLAGS = {"--agent-steps": "steps", "--football-engine": "engine", "--football-frame": "frame"}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "eval",
        help="evaluate a model or a run on the paper's benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--model",
        help="model folder, a run directory (each finished stage's export), or tiny:KIND (built offline, as "
        "model.path=tiny:KIND in training)",
    )
    p.add_argument("--responses", help="score this JSONL (benchmark, id, response per line) instead of generating")
    p.add_argument(
        "--benchmarks",
        nargs="+",
        default=DEFAULT_BENCHMARKS,
        metavar="NAME",
        help="benchmark names, space-separated (default: all nine; `lmmr1 ls benchmarks`)",
    )
    p.add_argument("--data-dir", required=True, help="folder holding one downloaded dataset folder per benchmark")
    p.add_argument("--output", required=True, help="results folder (items.jsonl, summary.json); resumable")
    p.add_argument("--protocol", default="lmm_r1", choices=["lmm_r1", "rule"])
    p.add_argument("--limit", type=positive_int, help="first N items of each benchmark")
    p.add_argument("--batch-size", type=positive_int, default=8)
    p.add_argument(
        "--backend",
        choices=["auto", "vllm", "hf"],
        default="auto",
        help="generation engine (auto: vLLM when a GPU is visible and vLLM is installed, else HF)",
    )
    p.add_argument("--tensor-parallel", type=positive_int, default=1, help="vLLM tensor parallel size")
    p.add_argument(
        "--max-new-tokens", type=positive_int, help="cap the protocol's generation budget (recorded in the summary)"
    )
    p.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="BENCHMARK.KEY=VALUE",
        help="a benchmark's own setting, repeatable, e.g. football_online.steps=100, football_online.engine="
        "gfootball, football_online.frame=grf (each benchmark's options: `lmmr1 ls benchmarks`)",
    )
    # the flags of lmmr1 0.x before --option, still read (not shown): the same settings of football_online
    for flag, key in _OLD_FOOTBALL_FLAGS.items():
        p.add_argument(flag, dest=f"old_{key}", help=argparse.SUPPRESS)
    p.add_argument(
        "--judge",
        metavar="URL|self",
        help="OpenAI-compatible endpoint extracting answers (e.g. http://host:8000/v1) and, with --search, judging "
        "the candidates; 'self': the evaluated model judges the candidates of a --search (answers then extracted "
        "by rules)",
    )
    p.add_argument(
        "--search",
        choices=["stage", "best_of_n", "sentence"],
        help="inference-time search: LLaVA-CoT's stage-level search (K candidates per <SUMMARY>/<CAPTION>/"
        "<REASONING>/<CONCLUSION> stage, a pairwise knockout by the judge), best-of-N, or per sentence",
    )
    p.add_argument("--beam", type=int_at_least(2), default=2, help="candidates per search step, K (default 2)")
    p.add_argument("--search-seed", type=int, default=0, help="seed of the search's sampling (default 0)")
    p.add_argument("--judge-model", default="Qwen2.5-14B-Instruct", help="model name sent to the judge")
    p.add_argument("--judge-api-key", help="bearer token for the judge endpoint, if it needs one")
    p.add_argument("--judge-timeout", type=float_above(0), default=60.0, help="seconds per judge request (default 60)")
    p.add_argument(
        "--judge-retries",
        type=int_at_least(0),
        default=2,
        help="more tries per question after a connection error, timeout, 429 or 5xx (default 2)",
    )
    p.add_argument("--label", help="row label in reports (default: the stage name, or the model folder name)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=handler)


def _generator_factory(args: argparse.Namespace, model: str, built: list | None = None):
    def build():
        generator = _backend()
        if args.search:
            from lmmr1.eval.search import EndpointJudge, SearchGenerator, SearchSettings, SelfJudge

            judge = SelfJudge(generator) if args.judge == "self" else EndpointJudge(args.judge_client)
            generator = SearchGenerator(generator, judge, SearchSettings(args.search, args.beam, args.search_seed))
        if built is not None:
            built.append(generator)
        return generator

    def _backend():
        backend = args.backend
        if backend == "auto":
            from lmmr1.run.devices import local_gpu_count

            backend = "hf"
            if local_gpu_count() > 0:
                import importlib.util

                backend = "vllm" if importlib.util.find_spec("vllm") else "hf"
        print(f"[lmmr1] eval: loading {model} ({backend})", file=sys.stderr, flush=True)
        if backend == "vllm":
            from lmmr1.eval.generation import VLLMGenerator
            from lmmr1.run.devices import cpu_vllm_env

            for key, value in cpu_vllm_env().items():  # read by vLLM's CPU build only
                os.environ.setdefault(key, value)

            return VLLMGenerator(model, tensor_parallel=args.tensor_parallel)
        from lmmr1.eval.generation import HFGenerator

        return HFGenerator(model, batch_size=args.batch_size)

    return build


def handler(args: argparse.Namespace) -> int:
    from lmmr1.eval.core import EvalDataError
    from lmmr1.eval.judge import Judge, JudgeError
    from lmmr1.eval.runner import EvalOptions, evaluate, models_of

    if not args.model and not args.responses:
        raise UserError("pass --model PATH or --responses FILE.jsonl")
    # space-separated names; a comma-separated list (lmmr1 0.x's spelling) is still read
    names = list(dict.fromkeys(n.strip() for value in args.benchmarks for n in value.split(",") if n.strip()))
    if not names:
        raise UserError("--benchmarks names no benchmark (space-separated names, see `lmmr1 ls benchmarks`)")
    specs = list(args.option) + [
        f"football_online.{key}={getattr(args, f'old_{key}')}"
        for key in _OLD_FOOTBALL_FLAGS.values()
        if getattr(args, f"old_{key}", None) is not None
    ]
    from lmmr1.outputs import check_output_dir

    if args.judge and args.judge != "self" and not args.judge.startswith(("http://", "https://")):
        raise UserError(f"--judge {args.judge!r}: expected an http(s) URL such as http://HOST:8000/v1, or self")
    if args.judge == "self" and not args.search:
        raise UserError(
            "--judge self judges the candidates of a --search (stage, best_of_n, sentence); answers are extracted "
            "by rules or by a judge URL"
        )
    if args.search and not args.judge:
        raise UserError(f"--search {args.search} needs a judge for its candidates: --judge self or --judge URL")
    if args.search and args.responses:
        raise UserError("--search generates the responses; it cannot be used with --responses")
    check_output_dir(args.output)
    if args.model and args.model.startswith("tiny:"):  # as model.path=tiny:KIND in training: built offline
        from lmmr1.run.inputs import check_model_spec
        from lmmr1.tiny_models import ensure_tiny_model

        check_model_spec(args.model, "--model")  # an unknown kind is refused with the kinds there are
        args.label = args.label or args.model
        args.model = ensure_tiny_model(args.model[len("tiny:") :])
    try:
        from lmmr1.eval import BENCHMARKS

        unknown = [n for n in names if n not in BENCHMARKS]
        if unknown:
            import difflib

            hints = [
                f"{n} (did you mean {difflib.get_close_matches(n, BENCHMARKS.names(), 1)[0]}?)"
                if difflib.get_close_matches(n, BENCHMARKS.names(), 1)
                else n
                for n in unknown
            ]
            raise UserError(f"unknown benchmark(s) {', '.join(hints)}; installed: {', '.join(BENCHMARKS.names())}")
        from lmmr1.eval.core import parse_benchmark_options

        benchmark_options = parse_benchmark_options(specs, names)
        judge = (
            Judge(
                args.judge,
                args.judge_model,
                args.judge_api_key,
                timeout_s=args.judge_timeout,
                retries=args.judge_retries,
            )
            if args.judge and args.judge != "self"
            else None
        )
        args.judge_client = judge
        base = EvalOptions(
            benchmarks=names,
            data_dir=Path(args.data_dir).expanduser(),
            output=Path(args.output),
            protocol=args.protocol,
            limit=args.limit,
            batch_size=args.batch_size,
            max_new_tokens=args.max_new_tokens,
            benchmark_options=benchmark_options,
            judge=judge,
            label=args.label,
            progress=not args.quiet,
        )
        if args.responses:
            from lmmr1.eval.generation import read_responses

            responses = read_responses(Path(args.responses))
            factory = _generator_factory(args, args.model) if args.model else None
            summary = evaluate(args.model, base, factory, responses=responses)
            _print(summary, base.output)
            return 0
        if args.search:
            base.extra_settings["search"] = {
                "method": args.search,
                "beam": args.beam,
                "seed": args.search_seed,
                "judge": "self" if args.judge == "self" else f"{args.judge_model} at {args.judge}",
            }
        for label, model, sub in models_of(args.model):
            options = EvalOptions(
                **{**base.__dict__, "output": base.output / sub if sub else base.output, "label": args.label or label}
            )
            built: list = []
            summary = evaluate(model, options, _generator_factory(args, model, built))
            if built and args.search:
                summary = _record_search(options.output, built[0].stats())
            _print(summary, options.output)
        return 0
    except (EvalDataError, JudgeError) as exc:
        raise UserError(f"{exc}") from None


def _record_search(output: Path, stats: dict) -> dict:
    """The search's counts (judge calls, candidates) of this run, added to summary.json."""
    import json

    from lmmr1.outputs import write_text

    path = EvalPaths(output).summary
    summary = json.loads(path.read_text())
    summary["search"] = {**summary.get("search", {}), **stats}
    write_text(path, json.dumps(summary, indent=2, default=str))
    return summary


def _print(summary: dict, output: Path) -> None:
    parts = []
    for name, result in summary["benchmarks"].items():
        score = result.get("score")
        parts.append(f"{name} {score:.2f}" if isinstance(score, (int, float)) else f"{name} n/a")
    judge = summary.get("judge_stats")
    asked = (
        f"; judge {judge['model']}: {judge['calls']} calls, {judge['cache_hits']} cached, {judge['seconds']:.1f} s"
        if judge
        else ""
    )
    search = summary.get("search")
    if search and search.get("judge_calls") is not None:
        asked += f"; {search['method']} search, beam {search['beam']}: {search['judge_calls']} comparisons"
    print(
        f"[lmmr1] eval {summary.get('label') or summary.get('model')} ({summary['protocol']}): "
        + ", ".join(parts)
        + f" -> {EvalPaths(output).summary}{asked}",
        flush=True,
    )
