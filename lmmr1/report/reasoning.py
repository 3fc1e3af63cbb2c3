"""A response's reasoning as steps, and those steps as a small graph (inline SVG, nothing fetched).

Steps are read, first match wins, from: LLaVA-CoT's stage tags (``<SUMMARY>``, ``<CAPTION>``, ``<REASONING>``,
``<CONCLUSION>``, in the order written); numbered steps at line starts (``Step 1:``, ``1.``, ``2)``); the
``<think>`` and ``<answer>`` parts; blank-line paragraphs. A text with none of these is one step.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

_STAGE = re.compile(r"<(SUMMARY|CAPTION|REASONING|CONCLUSION)>(.*?)</\1>", re.S)
_NUMBERED = re.compile(r"^\s*(?:step\s*(\d+)\s*[:.)-]|(\d+)\s*[.)])\s+", re.I | re.M)
_THINK = re.compile(r"<think>(.*?)</think>", re.S)
_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.S)


@dataclass(frozen=True)
class Step:
    label: str
    text: str


def reasoning_steps(text: str) -> list[Step]:
    """The steps of ``text`` (see the module docstring for the forms read)."""
    text = text or ""
    stages = [Step(m.group(1).title(), m.group(2).strip()) for m in _STAGE.finditer(text)]
    if stages:
        return stages
    numbered = list(_NUMBERED.finditer(text))
    if len(numbered) >= 2:
        steps = []
        for k, m in enumerate(numbered):
            end = numbered[k + 1].start() if k + 1 < len(numbered) else len(text)
            steps.append(Step(f"Step {m.group(1) or m.group(2)}", text[m.end() : end].strip()))
        return steps
    think, answer = _THINK.search(text), _ANSWER.search(text)
    if think or answer:
        parts = []
        if think:
            parts += [
                Step("Think" if k == 0 else f"Think {k + 1}", p) for k, p in enumerate(_paragraphs(think.group(1)))
            ]
        if answer:
            parts.append(Step("Answer", answer.group(1).strip()))
        return parts or [Step("Answer", text.strip())]
    paragraphs = _paragraphs(text)
    if len(paragraphs) > 1:
        return [Step(f"¶{k + 1}", p) for k, p in enumerate(paragraphs)]
    return [Step("Response", text.strip())] if text.strip() else []


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def steps_svg(steps: list[Step], width: int = 220, excerpt: int = 28) -> str:
    """A vertical chain of boxes, one per step, joined by arrows; each box names its step and starts its text
    (the whole text on hover)."""
    if not steps:
        return ""
    box, gap = 34, 16
    height = len(steps) * box + (len(steps) - 1) * gap + 4
    parts = [
        f"<svg class='steps' xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' role='img' aria-label='reasoning steps'>"
    ]
    for k, step in enumerate(steps):
        y = 2 + k * (box + gap)
        short = step.text if len(step.text) <= excerpt else step.text[: excerpt - 1] + "…"
        parts.append(
            f"<g class='step-node'><title>{html.escape(step.label)}: {html.escape(step.text)}</title>"
            f"<rect x='2' y='{y}' width='{width - 4}' height='{box}' rx='6'/>"
            f"<text x='8' y='{y + 14}' class='label'>{html.escape(step.label)}</text>"
            f"<text x='8' y='{y + 28}'>{html.escape(short)}</text></g>"
        )
        if k + 1 < len(steps):
            x, y0, y1 = width // 2, y + box, y + box + gap
            parts.append(
                f"<path class='edge' d='M{x},{y0} L{x},{y1 - 4} M{x - 4},{y1 - 8} L{x},{y1 - 2} L{x + 4},{y1 - 8}'/>"
            )
    parts.append("</svg>")
    return "".join(parts)
