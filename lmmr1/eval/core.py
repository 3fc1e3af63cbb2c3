"""The shapes every benchmark shares: items, protocols, generation settings, the Benchmark base class.

A benchmark turns a downloaded public dataset folder into :class:`Item` objects, says how to prompt the
model for each under a named :class:`Protocol`, how to read the answer out of a response (rules; or an
LLM judge where the original protocol used one) and how to aggregate item scores into the paper's
numbers (with the sub-fields the paper reports). The runner (:mod:`lmmr1.eval.runner`) does the rest.
"""

from __future__ import annotations

import abc
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Optional

from lmmr1.errors import UserError
from lmmr1.prompts import SYSTEM_PROMPT


class EvalDataError(UserError, ValueError):
    """A benchmark folder is missing or malformed; the message names the file, the column and the fix."""


@dataclass(frozen=True)
class BenchmarkOption:
    """A setting of one benchmark (``lmmr1 eval --option BENCH.KEY=VALUE``), declared by the benchmark."""

    default: Any
    help: str
    choices: tuple[str, ...] = ()  # accepted values of a text option (empty: any)
    whole_number: bool = False  # a whole number >= 1

    def parse(self, text: str, where: str) -> Any:
        if self.whole_number:
            try:
                value = int(text)
            except ValueError:
                value = 0
            if value < 1:
                raise EvalDataError(f"{where}={text}: a whole number >= 1")
            return value
        if self.choices and text not in self.choices:
            raise EvalDataError(f"{where}={text}: accepted: {', '.join(self.choices)}")
        return text


@dataclass
class Item:
    """One benchmark question. ``id`` is the dataset's own id (``unique_id``, ``pid``, ``index``, ...)."""

    id: str
    question: str
    gold: Any
    images: list[bytes] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class LoadResult:
    items: list[Item]
    files: list[str]
    rows_in: int
    excluded: dict[str, int] = field(default_factory=dict)  # reason -> rows deliberately not scored


@dataclass(frozen=True)
class GenSettings:
    max_new_tokens: int
    temperature: float = 0.0
    top_p: float = 1.0
    repetition_penalty: float = 1.0
    max_pixels: Optional[int] = None
    max_images: int = 5


@dataclass(frozen=True)
class Protocol:
    name: str
    description: str


PROTOCOLS: dict[str, Protocol] = {
    "lmm_r1": Protocol(
        "lmm_r1",
        "LMM-R1's evaluation: multimodal benchmarks greedy, 4,096 new tokens, the training system prompt, images "
        "at most 1024x1024 pixels, at most 5 images, LLM-judge extraction where the original used one (rules "
        "when no --judge is given, recorded per item); MATH500/GPQA as lighteval (no system prompt, greedy, "
        "8,192 new tokens, repetition penalty 1.05, its prompts); OlympiadBench's competition prompt, proofs "
        "not scored; MM-Star macro-averaged over l2 categories; MathVerse over its five vision versions.",
    ),
    "rule": Protocol(
        "rule",
        "lmmr1's own: every benchmark prompted with the training system prompt and the boxed-answer "
        "instruction, greedy, 4,096 new tokens, answers read and compared by lmmr1's rule rewards (no judge).",
    ),
}

MATH_INSTRUCTION = " Put the final answer in \\boxed{} inside the <answer> tags."
MULTIMODAL_LMM_R1 = GenSettings(max_new_tokens=4096, max_pixels=1024 * 1024, max_images=5)


def image_parts(n: int) -> list[dict[str, Any]]:
    return [{"type": "image"} for _ in range(n)]


def user_message(text: str, n_images: int) -> dict[str, Any]:
    if not n_images:
        return {"role": "user", "content": text}
    return {"role": "user", "content": [*image_parts(n_images), {"type": "text", "text": text}]}


class Benchmark(abc.ABC):
    """Base class; subclasses set the class attributes and override what differs."""

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    split: ClassVar[str] = "test"
    expects: ClassVar[str] = ""  # the files expected under DIR/<name>/, for `lmmr1 ls benchmarks` and errors
    kind: ClassVar[str] = "qa"  # "qa" (generate once, score the answer) or "agent" (play an episode)
    judged_in_paper: ClassVar[bool] = False  # the original protocol used an LLM judge to extract answers
    # scored by an LLM judge only (``score_by_judge(item, response, judge) -> record fields``; e.g. VRC-Bench's
    # step metrics): refused without ``--judge URL``
    judge_required: ClassVar[bool] = False
    columns: ClassVar[tuple[str, ...]] = ()
    # settings of this benchmark's episodes or prompts, passed to ``play`` (agent benchmarks) by name
    options: ClassVar[dict[str, BenchmarkOption]] = {}

    def check_options(self, values: dict[str, Any]) -> None:
        """Refuse a combination of option values that cannot run (EvalDataError naming the options).

        ``values`` holds every declared option, defaults filled in. A benchmark without options accepts all.
        """
        return None

    # -- data ----------------------------------------------------------------------------------
    @abc.abstractmethod
    def load(self, root: Path) -> LoadResult:
        """Read ``root`` (the benchmark's downloaded folder) into items; exclusions counted by reason."""

    # -- prompting -----------------------------------------------------------------------------
    def messages(self, item: Item, protocol: str) -> list[dict[str, Any]]:
        """Chat messages; image placeholders (``{"type": "image"}``) in the order of ``item.images``."""
        return [
            {"role": "system", "content": SYSTEM_PROMPT},
            user_message(item.question + MATH_INSTRUCTION, len(item.images)),
        ]

    def generation(self, protocol: str) -> GenSettings:
        return MULTIMODAL_LMM_R1 if protocol == "lmm_r1" else GenSettings(max_new_tokens=4096)

    # -- scoring -------------------------------------------------------------------------------
    def extract(self, item: Item, response: str, protocol: str) -> Optional[str]:
        """The final answer read by rules (``<answer>``, last ``\\boxed{}``, "the answer is")."""
        from lmmr1.rewards._extract import extract_answer

        answer, _ = extract_answer(response or "")
        return answer.strip() if answer else None

    def judge_instruction(self, item: Item) -> str:
        """What the judge is asked to extract (the original judges extracted the final answer)."""
        return (
            "Extract the final answer from the response to the question below. Reply with the answer only "
            "(a number, an expression, an option letter or a short text), or NONE if there is no answer."
        )

    def correct(self, item: Item, extracted: Optional[str]) -> bool:
        return bool(extracted) and math_equal(extracted, item.gold, approximate=allows_rounding(item.question))

    def aggregate(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        """``{"score": per cent, "correct": k, "n": N}`` plus sub-fields where the paper reports them."""
        return mean_score(records)


def mean_score(records: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(records)
    k = sum(1 for r in records if r.get("correct"))
    return {"score": 100.0 * k / n if n else None, "correct": k, "n": n}


# ------------------------------------------------------------------------------------ comparisons
_LETTER = re.compile(r"^\(?\s*([A-J])\s*\)?[.:]?$")


IN_REWARD_WORKER = False  # set by the ``benchmark`` reward, which already runs in a time-limited worker


_EXACT_FORM = re.compile(
    r"simplest (?:radical )?form|exact (?:value|form|answer)|common fraction|in terms of \\?pi|"
    r"simplest terms|radical form",
    re.IGNORECASE,
)


def asks_exact_form(question: str) -> bool:
    """The question asks for an exact or simplest form, so a rounded decimal is not the answer."""
    return bool(_EXACT_FORM.search(question or ""))


_DECIMAL_ASKED = re.compile(
    r"nearest\s+(?:tenth|hundredth|thousandth|whole|integer|cent|dollar|percent|degree|unit|foot|inch|meter)|"
    r"decimal|round(?:ed)?\b|approximat|significant\s+(?:figure|digit)|to\s+\d+\s+(?:decimal\s+)?places",
    re.IGNORECASE,
)


def allows_rounding(question: str) -> bool:
    """A rounded decimal counts only where the question asks for one ("to the nearest tenth", "as a
    decimal"); everywhere else exact values are required, as MATH's graders and math-verify judge."""
    return bool(_DECIMAL_ASKED.search(question or "")) and not asks_exact_form(question)


def math_equal(extracted: str, gold: Any, approximate: bool = False) -> bool:
    """lmmr1's ``math`` reward on a bare answer, with its time limit (sympy runs in killable workers).

    ``approximate=False`` (default): a rounded decimal does not count for an irrational gold (``2.83`` for
    ``2\\sqrt{2}``); ``True`` where the question asks for a rounded value (:func:`allows_rounding`)."""
    if IN_REWARD_WORKER:
        from lmmr1.rewards.math import grade

        result = grade(f"<answer>{extracted}</answer>", gold, approximate=approximate)
        return float(result.get("acc", 0.0)) >= 1.0
    from lmmr1.rewards.scoring import shared_scorer

    spec = {"name": "math", "timeout_s": 5.0, "kwargs": {"approximate": approximate}}
    scorer = shared_scorer(spec, workers=1)
    result = scorer.score("lmmr1-eval", f"<answer>{extracted}</answer>", gold, None)
    return float(result.get("acc", result.get("score", 0.0))) >= 1.0


def letter_of(text: Optional[str], letters: str = "ABCDEFGHIJ") -> Optional[str]:
    """The single option letter an extracted answer names (``B``, ``(B) 3``, ``C (the left lobe)``,
    ``\\boxed{c}``), else None: the ``choice`` reward's reader, so a hedge naming two options is wrong here too."""
    from lmmr1.rewards._options import single_option

    return single_option(text, letters)


_LEADING_NUMBER = re.compile(
    r"^([-+]?\d[\d,]*(?:\.\d+)?)\s*(?:\\?%|°|\^\s*\{?\\circ\}?|[A-Za-z][A-Za-z ./²³^0-9]*)?\.?$"
)


def number_of(text: Optional[str]) -> Optional[float]:
    if text is None:
        return None
    t = text.strip().strip("$").replace(",", "").replace("\\%", "").replace("%", "").strip()
    t = re.sub(r"\\(?:text|mathrm)\s*\{[^{}]*\}", "", t).strip()
    try:
        return float(t)
    except ValueError:
        m = re.fullmatch(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", t)
        if m:
            return float(m.group(0))
        unit = _LEADING_NUMBER.match(t)  # "12 meters", "3.5 cm", "45°": the number before its unit
        return float(unit.group(1).replace(",", "")) if unit else None


def parse_benchmark_options(specs: list[str], selected: list[str]) -> dict[str, dict[str, Any]]:
    """``["football_online.engine=gfootball", ...]`` -> ``{"football_online": {"engine": "gfootball"}}``.

    The benchmark must be one of the ``selected`` ones and declare the option; every benchmark's own
    ``check_options`` then sees its values (defaults filled in).
    """
    from lmmr1.eval import BENCHMARKS
    from lmmr1.typecheck import close_match

    given: dict[str, dict[str, Any]] = {}
    for spec in specs:
        target, sep, text = spec.partition("=")
        bench, dot, key = target.partition(".")
        where = f"--option {target}"
        if not sep or not dot or not key:
            raise EvalDataError(f"--option {spec!r}: expected BENCHMARK.KEY=VALUE, e.g. football_online.steps=100")
        if bench not in selected:
            raise EvalDataError(f"{where}: {bench!r} is not among --benchmarks ({', '.join(selected)})")
        declared = getattr(BENCHMARKS.get(bench), "options", {})
        if key not in declared:
            accepted = ", ".join(f"{bench}.{k}" for k in declared) or "none"
            raise EvalDataError(
                f"{where}: {bench} has no option {key!r}{close_match(key, list(declared))}; its options: {accepted}"
            )
        given.setdefault(bench, {})[key] = declared[key].parse(text, where)
    for bench in selected:
        declared = getattr(BENCHMARKS.get(bench), "options", {})
        if declared:
            values = {k: o.default for k, o in declared.items()} | given.get(bench, {})
            obj = BENCHMARKS.get(bench)
            (obj() if isinstance(obj, type) else obj).check_options(values)
            given[bench] = values
    return given
