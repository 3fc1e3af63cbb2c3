"""``lmmr1 eval``: generate (or read) responses, score them, write auditable and resumable results.

``OUT/items.jsonl`` gets one line per item as soon as it is scored (``benchmark``, ``id`` = the dataset's
own id, ``response``, ``extracted``, ``gold``, ``correct``, ``judge``, plus the fields the aggregation
needs); a re-run with the same ``OUT`` skips every item already there, so an interrupted evaluation
resumes and a finished one generates nothing. ``OUT/summary.json`` holds the protocol, the model, the
settings and each benchmark's score with the paper's sub-fields, and the accounting of rows: rows read,
rows deliberately not scored (by reason), rows scored, rows without a response.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Optional

from lmmr1.eval.core import PROTOCOLS, Benchmark, EvalDataError, GenSettings, Item
from lmmr1.eval.generation import Request
from lmmr1.run.layout import HF_CONFIG, EvalPaths, RunPaths, read_jsonl

# row labels of the paper's tables for lmmr1's stage names
STAGE_LABELS = {
    "fre_text": "FRE-Text",
    "fre_multi": "FRE-Multi",
    "mgt_geo": "MGT-Geo",
    "mgt_percereason": "MGT-PerceReason",
    "direct_rl_geo": "Direct-RL-Geo",
    "mgt_sokoban": "MGT-Sokoban",
}


@dataclass
class EvalOptions:
    benchmarks: list[str]
    data_dir: Path
    output: Path
    protocol: str = "lmm_r1"
    limit: Optional[int] = None
    batch_size: int = 8
    max_new_tokens: Optional[int] = None  # caps the protocol's budget (recorded); for quick CPU checks
    # per benchmark, its declared options (lmmr1.eval.core.BenchmarkOption), e.g. football_online's engine
    benchmark_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    judge: Any = None  # lmmr1.eval.judge.Judge or None
    label: Optional[str] = None
    progress: bool = True
    extra_settings: dict[str, Any] = field(default_factory=dict)


def load_benchmark(name: str) -> Benchmark:
    from lmmr1.eval import BENCHMARKS

    obj = BENCHMARKS.get(name)
    return obj() if isinstance(obj, type) else obj


def _settings(bench: Benchmark, options: EvalOptions) -> GenSettings:
    settings = bench.generation(options.protocol)
    if options.max_new_tokens is not None:
        settings = replace(settings, max_new_tokens=min(settings.max_new_tokens, options.max_new_tokens))
    return settings


def evaluate(
    model: Optional[str],
    options: EvalOptions,
    generator_factory: Optional[Callable[[], Any]] = None,
    responses: Optional[dict[tuple[str, str], str]] = None,
) -> dict[str, Any]:
    """Evaluate one model (or score given ``responses``); returns the summary written to ``OUT/summary.json``."""
    if options.protocol not in PROTOCOLS:
        raise EvalDataError(f"--protocol {options.protocol!r}: choose one of {', '.join(PROTOCOLS)}")
    # every benchmark's data is read before anything is written: a missing folder is named with all the
    # others that are missing, and no empty items.jsonl is left behind
    if not options.benchmarks:
        raise EvalDataError("no benchmarks to evaluate: name at least one with --benchmarks")
    loaded_sets: dict[str, Any] = {}
    problems: list[str] = []
    for name in options.benchmarks:
        bench = load_benchmark(name)
        try:
            loaded_sets[name] = (bench, bench.load(options.data_dir / name))
        except EvalDataError as exc:
            problems.append(str(exc))
    if problems:
        head = f"{len(problems)} of {len(options.benchmarks)} benchmarks cannot be read: " if len(problems) > 1 else ""
        raise EvalDataError(head + " | ".join(problems))
    needs_judge = [name for name, (bench, _) in loaded_sets.items() if bench.judge_required]
    if needs_judge and options.judge is None:
        raise EvalDataError(
            f"{', '.join(needs_judge)}: scored by an LLM judge only (step by step); pass --judge URL "
            "(an OpenAI-compatible endpoint, e.g. http://HOST:8000/v1)"
        )
    out = options.output
    out.mkdir(parents=True, exist_ok=True)
    files = EvalPaths(out)
    items_path = files.items
    if options.judge is not None:
        options.judge.use_cache(files.judge_cache)  # a resumed run never asks a question twice
    # a line cut by a crash is left out: that item is simply done again
    previous = read_jsonl(items_path)
    for record in previous:
        if record.get("protocol") != options.protocol:
            raise EvalDataError(
                f"{items_path} holds results of protocol {record.get('protocol')!r}, not "
                f"{options.protocol!r}: use another --output"
            )
    done = {(r["benchmark"], str(r["id"])): r for r in previous}
    generator = None
    judge_label = f"{options.judge.model} at {options.judge.url}" if options.judge else None
    summary_benchmarks: dict[str, Any] = {}
    from tqdm import tqdm

    with open(items_path, "a", encoding="utf-8") as sink:
        for name in options.benchmarks:
            bench, loaded = loaded_sets[name]
            items = loaded.items[: options.limit] if options.limit else loaded.items
            todo = [it for it in items if (name, it.id) not in done]
            settings = _settings(bench, options)
            missing = 0
            bar = tqdm(
                total=len(items),
                initial=len(items) - len(todo),
                desc=f"eval {name}",
                unit="item",
                file=sys.stderr,
                disable=not options.progress,
                dynamic_ncols=True,
            )
            start = time.perf_counter()
            if bench.kind == "agent":
                for item in todo:
                    if generator is None:
                        generator = _need_generator(generator_factory, name)
                    policy = lambda m, im, s, g=generator: g.generate([Request(m, im, s)])[0]  # noqa: E731
                    kwargs = options.benchmark_options.get(name, {})
                    result = bench.play(item, policy, options.protocol, settings, **kwargs)  # type: ignore[attr-defined]
                    record = _record(name, item, options.protocol, result, "none (environment reward)")
                    _write(sink, record)
                    done[(name, item.id)] = record
                    bar.update(1)
            else:
                for first in range(0, len(todo), max(1, options.batch_size)):
                    chunk = todo[first : first + options.batch_size]
                    if responses is not None:
                        texts = [responses.get((name, it.id)) for it in chunk]
                    else:
                        if generator is None:
                            generator = _need_generator(generator_factory, name)
                        texts = generator.generate(
                            [Request(bench.messages(it, options.protocol), it.images, settings) for it in chunk]
                        )
                    for item, text in zip(chunk, texts):
                        if text is None:
                            missing += 1
                            bar.update(1)
                            continue
                        record = _score(bench, item, text, options, judge_label)
                        _write(sink, record)
                        done[(name, item.id)] = record
                        bar.update(1)
            bar.close()
            ids = {it.id for it in items}
            records = [r for (b, i), r in done.items() if b == name and i in ids]
            result = bench.aggregate(records)
            excluded_total = sum(loaded.excluded.values())
            result.update(
                {
                    "title": bench.title,
                    "rows_in": loaded.rows_in,
                    "excluded": loaded.excluded,
                    "limited_to": options.limit,
                    "scored": len(records),
                    "missing_responses": len(items) - len(records),
                    "files": loaded.files,
                    "extraction": ("judge: " + judge_label)
                    if (
                        judge_label and (bench.judge_required or bench.judged_in_paper and options.protocol == "lmm_r1")
                    )
                    else ("environment reward" if bench.kind == "agent" else "rules (lmmr1 rewards)"),
                    "settings": asdict(settings),
                    "seconds": round(time.perf_counter() - start, 1),
                }
            )
            if options.protocol == "lmm_r1" and bench.judged_in_paper and not judge_label:
                result["note"] = (
                    "the original protocol extracted answers with an LLM judge; no --judge was "
                    "given, so rule-based extraction was used"
                )
            accounted = loaded.rows_in - excluded_total
            if not options.limit and accounted != len(records):
                result["unaccounted"] = (
                    f"{accounted - len(records)} of {accounted} scorable rows have no result "
                    f"({missing} without a response)"
                )
            summary_benchmarks[name] = result
    summary = {
        "protocol": options.protocol,
        "protocol_description": PROTOCOLS[options.protocol].description,
        "model": model,
        "label": options.label,
        "backend": getattr(generator, "name", None)
        if generator is not None
        else ("responses file" if responses is not None else None),
        "judge": judge_label,
        "judge_stats": options.judge.stats() if options.judge is not None else None,
        "max_new_tokens_cap": options.max_new_tokens,
        "benchmark_options": options.benchmark_options,
        "benchmarks": summary_benchmarks,
        **options.extra_settings,
    }
    _merge_summary(files.summary, summary)
    return json.loads(files.summary.read_text())


def _need_generator(factory: Optional[Callable[[], Any]], benchmark: str) -> Any:
    if factory is None:
        raise EvalDataError(
            f"{benchmark}: no response for some items and no model to generate them "
            "(pass --model, or add the items to --responses)"
        )
    return factory()


def _score(
    bench: Benchmark, item: Item, response: str, options: EvalOptions, judge_label: Optional[str]
) -> dict[str, Any]:
    if bench.judge_required:
        result = bench.score_by_judge(item, response, options.judge)  # type: ignore[attr-defined]
        return _record(bench.name, item, options.protocol, {"response": response, **result}, str(judge_label))
    judged = options.judge is not None and bench.judged_in_paper and options.protocol == "lmm_r1"
    if judged:
        last = 30 if bench.name == "mathverse" else None
        extracted = options.judge.extract(bench.judge_instruction(item), item.question, response, last_words=last)
    else:
        extracted = bench.extract(item, response, options.protocol)
    correct = bench.correct(item, extracted)
    return _record(
        bench.name,
        item,
        options.protocol,
        {"response": response, "extracted": extracted, "correct": bool(correct)},
        judge_label if judged else "none (rule extraction)",
    )


def _record(benchmark: str, item: Item, protocol: str, result: dict[str, Any], judge: str) -> dict[str, Any]:
    meta = {k: v for k, v in item.meta.items() if isinstance(v, (str, int, float, bool)) or v is None}
    return {
        "benchmark": benchmark,
        "id": item.id,
        "protocol": protocol,
        "response": result.pop("response", None),
        "extracted": result.pop("extracted", None),
        "gold": item.gold,
        "correct": bool(result.pop("correct", False)),
        "judge": judge,
        "meta": meta,
        **result,
    }


def _write(sink: Any, record: dict[str, Any]) -> None:
    sink.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    sink.flush()


def _merge_summary(path: Path, summary: dict[str, Any]) -> None:
    """Benchmarks evaluated in earlier invocations on the same OUT stay in the summary."""
    if path.exists():
        try:
            old = json.loads(path.read_text())
        except ValueError:
            old = {}
        merged = dict(old.get("benchmarks", {}))
        merged.update(summary["benchmarks"])
        summary = {**old, **{k: v for k, v in summary.items() if v is not None}, "benchmarks": merged}
    from lmmr1.outputs import write_text

    write_text(path, json.dumps(summary, indent=2, default=str))


def models_of(path: str) -> list[tuple[str, str, str]]:
    """``(label, model directory, output sub-folder)`` for a model folder or a run directory's stages."""
    root = Path(path)
    run = RunPaths(root)
    if run.manifest.exists():
        from lmmr1.run.manifest import ManifestError, read_manifest

        try:
            data = read_manifest(run.manifest)  # a moved run directory's exports are found inside it
        except ManifestError as exc:
            raise EvalDataError(str(exc)) from None
        out = []
        for stage in data.get("stages", []):
            if stage.get("status") == "done" and stage.get("hf_export"):
                out.append((STAGE_LABELS.get(stage["name"], stage["name"]), stage["hf_export"], stage["name"]))
        if not out:
            raise EvalDataError(f"{root}: the run has no finished stage with an HF export (manifest.json)")
        return out
    if (root / HF_CONFIG).exists():
        from lmmr1.run.lora_export import LoraExportError, convert_in_run, is_peft_export

        if is_peft_export(root):  # an earlier checkpoint of a LoRA stage: merged in place on first use
            print(f"[lmmr1] {root}: verl's LoRA export; writing the adapter and the merged model", file=sys.stderr)
            try:
                convert_in_run(root)
            except LoraExportError as exc:
                raise EvalDataError(str(exc)) from None
        return [(root.name, str(root), "")]
    raise EvalDataError(f"--model {path}: neither a model folder (config.json) nor a run directory (manifest.json)")
