"""Inference-time search: LLaVA-CoT's stage-level search, best-of-N and sentence-level search, with a judge.

LLaVA-CoT (arXiv 2411.10440) answers in four tagged stages and, at inference, searches stage by stage: for each
stage it samples K candidates that stop at the stage's end tag, keeps one by a pairwise knockout (a judge says
which of two is better; the winner meets the next candidate), appends it and goes on. That is (K-1) judge calls
per stage, (K-1) x 4 per answer. Best-of-N is the same knockout over K whole responses; sentence-level search
runs it per sentence. Sampling uses LLaVA-CoT's demo settings (temperature 0.6, top-p 0.9) unless told otherwise.

The judge is the evaluated model itself (``self``, as in LLaVA-CoT) or any OpenAI-compatible endpoint
(:class:`lmmr1.eval.judge.Judge`). A search is repeatable: candidate k of step s is sampled with seed
``seed + 1000 * s + k`` (HF: ``torch.manual_seed`` per batch; vLLM: the request's seed).

:class:`SearchGenerator` wraps a generator that can *continue* a partial answer and stop at given strings
(``complete``: :class:`lmmr1.eval.generation.HFGenerator`, :class:`~lmmr1.eval.generation.VLLMGenerator`) and
is itself a generator, so ``lmmr1 eval`` runs it like any other backend.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Optional, Protocol

from lmmr1.eval.generation import Request

SEARCH_METHODS = ("stage", "best_of_n", "sentence")
STAGES = ("SUMMARY", "CAPTION", "REASONING", "CONCLUSION")
SENTENCE_ENDS = (". ", ".\n", "? ", "! ", "\n")

JUDGE_PROMPT = (
    "You are comparing two candidate continuations of an answer to the question below. Judge which one is "
    "more correct, more relevant to the question and the image, and more useful for reaching the right final "
    "answer.\n\nQuestion:\n{question}\n\nAnswer so far:\n{context}\n\nCandidate 1:\n{first}\n\nCandidate 2:\n"
    "{second}\n\nWhich candidate is better? Reply with 1 or 2 only."
)


@dataclass(frozen=True)
class SearchSettings:
    method: str = "stage"
    beam: int = 2  # K candidates per step
    seed: int = 0
    temperature: float = 0.6
    top_p: float = 0.9
    max_sentences: int = 24

    def __post_init__(self) -> None:
        if self.method not in SEARCH_METHODS:
            raise ValueError(f"search {self.method!r}: choose one of {', '.join(SEARCH_METHODS)}")
        if self.beam < 2:
            raise ValueError(f"--beam {self.beam}: a search compares at least 2 candidates per step")


class PairJudge(Protocol):
    """Says which of two candidates is better: 0 (the first) or 1 (the second)."""

    def better(self, request: Request, context: str, first: str, second: str) -> int: ...


def comparison_prompt(request: Request, context: str, first: str, second: str) -> str:
    return JUDGE_PROMPT.format(
        question=question_text(request), context=context or "(nothing yet)", first=first, second=second
    )


def question_text(request: Request) -> str:
    """The text of the request's last user turn (images left out)."""
    for message in reversed(request.messages):
        if message.get("role") == "user":
            content = message["content"]
            if isinstance(content, str):
                return content
            return "".join(part.get("text", "") for part in content if part.get("type") != "image")
    return ""


def parse_choice(reply: Optional[str]) -> Optional[int]:
    """0 or 1 from a judge's reply ("1", "Candidate 2", "2."); None when it names neither."""
    found = re.search(r"[12]", reply or "")
    return None if found is None else int(found.group()) - 1


class _CountingJudge:
    """Counts a judge's comparisons; a reply naming neither candidate keeps the first (counted undecided)."""

    calls = 0
    undecided = 0

    def _count(self, reply: Optional[str]) -> int:
        self.calls += 1
        choice = parse_choice(reply)
        if choice is None:
            self.undecided += 1
            return 0
        return choice


class SelfJudge(_CountingJudge):
    """The evaluated model judges (LLaVA-CoT's choice): the comparison prompt with the question's images, greedy."""

    name = "self"

    def __init__(self, generator: Any) -> None:
        self.generator = generator

    def better(self, request: Request, context: str, first: str, second: str) -> int:
        prompt = comparison_prompt(request, context, first, second)
        images = [part for m in request.messages if isinstance(m["content"], list) for part in m["content"]]
        parts = [p for p in images if p.get("type") == "image"] + [{"type": "text", "text": prompt}]
        settings = replace(request.settings, temperature=0.0, max_new_tokens=8)
        (reply,) = self.generator.complete([Request([{"role": "user", "content": parts}], request.images, settings)])
        return self._count(reply)


class EndpointJudge(_CountingJudge):
    """An OpenAI-compatible endpoint judges (through :class:`lmmr1.eval.judge.Judge`, cached and bounded)."""

    def __init__(self, judge: Any) -> None:
        self.judge = judge
        self.name = f"{judge.model} at {judge.url}"

    def better(self, request: Request, context: str, first: str, second: str) -> int:
        return self._count(self.judge.ask_cached(comparison_prompt(request, context, first, second)))


class SearchGenerator:
    """A generator whose every response is the result of a search over ``base``'s samples."""

    def __init__(self, base: Any, judge: PairJudge, settings: SearchSettings) -> None:
        if not hasattr(base, "complete"):
            raise ValueError(f"the {getattr(base, 'name', '?')} backend cannot continue a partial answer")
        self.base = base
        self.judge = judge
        self.settings = settings
        self.name = f"{base.name} + {settings.method} search (beam {settings.beam})"
        self.candidates = 0

    def stats(self) -> dict[str, Any]:
        return {
            "method": self.settings.method,
            "beam": self.settings.beam,
            "seed": self.settings.seed,
            "judge": getattr(self.judge, "name", type(self.judge).__name__),
            "judge_calls": getattr(self.judge, "calls", None),
            "judge_undecided": getattr(self.judge, "undecided", None),
            "candidates": self.candidates,
        }

    def generate(self, requests: list[Request]) -> list[str]:
        return [self.search(request) for request in requests]

    def search(self, request: Request) -> str:
        sampling = replace(request.settings, temperature=self.settings.temperature, top_p=self.settings.top_p)
        request = replace(request, settings=sampling)
        if self.settings.method == "best_of_n":
            return self._knockout(request, "", self._sample(request, "", [], step=0))
        if self.settings.method == "stage":
            return self._stages(request)
        return self._sentences(request)

    # ------------------------------------------------------------------------------------------ the steps
    def _sample(self, request: Request, prefix: str, stop: list[str], step: int) -> list[str]:
        k = self.settings.beam
        seeds = [self.settings.seed + 1000 * step + i for i in range(k)]
        out = self.base.complete([request] * k, prefixes=[prefix] * k, stop=stop, seeds=seeds)
        self.candidates += k
        return out

    def _knockout(self, request: Request, context: str, candidates: list[str]) -> str:
        winner = candidates[0]
        for challenger in candidates[1:]:
            if self.judge.better(request, context, winner, challenger) == 1:
                winner = challenger
        return winner

    def _stages(self, request: Request) -> str:
        answer = ""
        for step, stage in enumerate(STAGES):
            opening, closing = f"<{stage}>", f"</{stage}>"
            prefix = answer + opening
            candidates = []
            for text in self._sample(request, prefix, [closing], step):
                text = text.split(closing)[0]  # a backend that ran past the stop string
                candidates.append(f"{opening}{text}{closing}")  # closed here when the budget ran out first
            answer += self._knockout(request, answer, candidates)
            if step < len(STAGES) - 1:
                answer += "\n\n"
        return answer

    def _sentences(self, request: Request) -> str:
        answer = ""
        for step in range(self.settings.max_sentences):
            candidates = self._sample(request, answer, list(SENTENCE_ENDS), step)
            chosen = self._knockout(request, answer, candidates)
            answer += chosen
            if not chosen or not chosen.endswith(SENTENCE_ENDS):
                break  # the chosen candidate ended the answer (end of sequence or the token budget)
        return answer
