"""VRC-Bench (LlamaV-o1, arXiv 2501.06186): step-by-step visual reasoning scored step by step by a judge.

Each item has ``idx``, ``question``, ``image``, ``final_answer`` and ``steps`` (the reference reasoning, a list
or text with one step per line). The model answers with its reasoning; a judge (``lmmr1 eval --judge URL``,
any OpenAI-compatible endpoint) then

* rates the response's reasoning against the reference steps on the ten step metrics LlamaV-o1 reports (after
  ROSCOE), each from 1 to 10, in one JSON reply; lmmr1 scales them to per cent (x 10). The item's reasoning
  score is their mean, the benchmark's ``score`` the mean over items (LlamaV-o1's "reasoning steps" column);
* says whether the response's final answer matches the reference final answer (``final_answer`` per cent,
  LlamaV-o1's "final answer" column).

A judge reply without all ten numbers scores the item's missing metrics 0 and is recorded (``judge_error``),
never dropped. The benchmark cannot be scored by rules: without ``--judge URL`` it is refused before anything runs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from statistics import mean
from typing import Any, Optional

from lmmr1.eval.core import Benchmark, EvalDataError, GenSettings, Item, LoadResult, user_message
from lmmr1.eval.loaders import image_bytes, read_rows, row_id

# LlamaV-o1's ten step metrics (names as in the paper), the keys of the judge's JSON reply
STEP_METRICS = (
    "Faithfulness-Step",
    "Faithfulness-Token",
    "Informativeness-Step",
    "Repetition-Token",
    "Hallucination",
    "Redundancy",
    "Semantic Coverage-Step",
    "Reasoning Alignment",
    "Commonsense",
    "Missing Step",
)

STEP_PROMPT = (
    "You evaluate the reasoning of a response to a visual question against reference reasoning steps. Rate the "
    "response on each metric from 1 (worst) to 10 (best); for Repetition-Token, Hallucination, Redundancy and "
    "Missing Step, 10 means none.\nMetrics: {metrics}.\n\nQuestion:\n{question}\n\nReference steps:\n{steps}\n\n"
    "Response:\n{response}\n\nReply with one line of JSON mapping each metric name to its score."
)
ANSWER_PROMPT = (
    "Does the final answer of the response match the reference answer to the question? Reply yes or no.\n\n"
    "Question:\n{question}\n\nReference answer:\n{answer}\n\nResponse:\n{response}"
)


def reference_steps(value: Any) -> list[str]:
    """The reference reasoning as a list of steps (a list as given, or text split at its lines)."""
    if isinstance(value, (list, tuple)):
        steps = [str(s).strip() for s in value]
    else:
        steps = [line.strip() for line in str(value or "").splitlines()]
    return [s for s in steps if s]


def parse_step_scores(reply: Optional[str]) -> tuple[dict[str, float], list[str]]:
    """({metric: 1..10}, metrics missing) from the judge's JSON reply (the first ``{...}`` in it)."""
    found = re.search(r"\{.*\}", reply or "", re.S)
    scores: dict[str, float] = {}
    if found:
        try:
            data = json.loads(found.group())
        except ValueError:
            data = {}
        lowered = {str(k).strip().lower(): v for k, v in data.items()} if isinstance(data, dict) else {}
        for metric in STEP_METRICS:
            value = lowered.get(metric.lower())
            if isinstance(value, (int, float)) and not isinstance(value, bool) and 1 <= value <= 10:
                scores[metric] = float(value)
    return scores, [m for m in STEP_METRICS if m not in scores]


class VRCBench(Benchmark):
    name = "vrc_bench"
    title = "VRC-Bench"
    split = "test"
    expects = "omkarthawakar/VRC-Bench: test parquet shards with idx, question, image, final_answer, steps"
    columns = ("idx", "question", "image", "final_answer", "steps")
    judge_required = True

    def load(self, root: Path) -> LoadResult:
        rows, files = read_rows(root, self.split, self.name, self.columns)
        items = []
        for i, r in enumerate(rows):
            steps = reference_steps(r.get("steps"))
            if not steps:
                raise EvalDataError(f"{self.name}: row {i} ({r.get('_file', root)}) has no reference steps")
            items.append(
                Item(
                    row_id(r, ("idx",), i),
                    str(r["question"]).strip(),
                    str(r["final_answer"]).strip(),
                    [image_bytes(r["image"], r, "image", self.name)],
                    meta={"steps": steps},
                )
            )
        return LoadResult(items, files, len(rows))

    def messages(self, item: Item, protocol: str) -> list[dict[str, Any]]:
        text = item.question + "\nReason step by step, then give the final answer."
        return [user_message(text, len(item.images))]

    def generation(self, protocol: str) -> GenSettings:
        return GenSettings(max_new_tokens=2048)

    def score_by_judge(self, item: Item, response: str, judge: Any) -> dict[str, Any]:
        """The ten step metrics and the final answer, both through ``judge`` (two questions per item)."""
        steps = "\n".join(f"{k + 1}. {s}" for k, s in enumerate(item.meta["steps"]))
        reply = judge.ask_cached(
            STEP_PROMPT.format(metrics=", ".join(STEP_METRICS), question=item.question, steps=steps, response=response),
            max_tokens=256,
        )
        scores, missing = parse_step_scores(reply)
        verdict = judge.ask_cached(ANSWER_PROMPT.format(question=item.question, answer=item.gold, response=response))
        correct = bool(verdict) and verdict.strip().lower().startswith("yes")
        per_cent = {m: 10.0 * scores.get(m, 0.0) for m in STEP_METRICS}
        record: dict[str, Any] = {
            "extracted": verdict,
            "correct": correct,
            "step_scores": per_cent,
            "reasoning_score": mean(per_cent.values()),
        }
        if missing:
            record["judge_error"] = f"no 1-10 score for {', '.join(missing)} in the judge's reply: {str(reply)[:200]}"
        return record

    def aggregate(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        n = len(records)
        if not n:
            return {"score": None, "n": 0}
        metrics = {m: mean(r["step_scores"][m] for r in records) for m in STEP_METRICS}
        return {
            "score": mean(r["reasoning_score"] for r in records),
            "final_answer": 100.0 * sum(bool(r.get("correct")) for r in records) / n,
            "step_metrics": metrics,
            "judge_errors": sum(1 for r in records if r.get("judge_error")),
            "n": n,
        }
