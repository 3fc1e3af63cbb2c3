"""Text benchmarks of Table 1: MATH500 and GPQA-Diamond.

LMM-R1 ran both through lighteval (greedy, 8,192 new tokens, repetition penalty 1.05, the chat template,
no R1 system prompt). MATH500's prompt asks for "Therefore, the final answer is: $\\boxed{ANSWER}$"; GPQA's
for "Answer: $LETTER" over the four options shuffled per item with a seeded ``random``.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any, Optional

from lmmr1.eval.core import Benchmark, GenSettings, Item, LoadResult, letter_of, user_message
from lmmr1.eval.loaders import read_csv, read_jsonl, read_rows, row_id

LIGHTEVAL = GenSettings(max_new_tokens=8192, temperature=0.0, top_p=1.0, repetition_penalty=1.05)

MATH_LIGHTEVAL_PROMPT = (
    "Solve the following math problem efficiently and clearly. The last line of your response should be of the "
    "following format: 'Therefore, the final answer is: $\\boxed{{ANSWER}}$. I hope it is correct' (without "
    "quotes) where ANSWER is just the final number or expression that solves the problem. Think step by step "
    "before answering.\n\n{question}"
)

GPQA_LIGHTEVAL_PROMPT = (
    "Answer the following multiple choice question. The last line of your response should be of the following "
    "format: 'Answer: $LETTER' (without quotes) where LETTER is one of ABCD. Think step by step before "
    "answering.\n\n{question}\n\nA) {A}\nB) {B}\nC) {C}\nD) {D}"
)


class MATH500(Benchmark):
    name = "math500"
    title = "MATH500"
    split = "test"
    expects = "HuggingFaceH4/MATH-500: test.jsonl or test-*.parquet with problem, answer, unique_id (subject, level)"
    columns = ("problem", "answer")

    def load(self, root: Path) -> LoadResult:
        jsonl = sorted(root.rglob("test.jsonl")) if root.is_dir() else []
        if jsonl:
            rows, files = read_jsonl(jsonl[0], self.name, self.columns), [str(jsonl[0])]
        else:
            rows, files = read_rows(root, self.split, self.name, self.columns)
        items = [
            Item(
                row_id(r, ("unique_id",), i),
                str(r["problem"]),
                str(r["answer"]),
                meta={"subject": r.get("subject"), "level": r.get("level")},
            )
            for i, r in enumerate(rows)
        ]
        return LoadResult(items, files, len(rows))

    def messages(self, item: Item, protocol: str) -> list[dict[str, Any]]:
        if protocol == "lmm_r1":
            return [user_message(MATH_LIGHTEVAL_PROMPT.format(question=item.question), 0)]
        return super().messages(item, protocol)

    def generation(self, protocol: str) -> GenSettings:
        return LIGHTEVAL if protocol == "lmm_r1" else super().generation(protocol)

    def extract(self, item: Item, response: str, protocol: str) -> Optional[str]:
        found = super().extract(item, response, protocol)
        if found is None:
            m = re.findall(
                r"final answer is:?\s*\$?(.+?)\$?\s*(?:\.\s*I hope|$)", response or "", re.IGNORECASE | re.MULTILINE
            )
            found = m[-1].strip() if m else None
        return found


class GPQADiamond(Benchmark):
    name = "gpqa_diamond"
    title = "GPQA"
    split = "train"
    expects = (
        "Idavidrein/gpqa: gpqa_diamond.csv (Question, Correct Answer, Incorrect Answer 1-3, Record ID); "
        "options are shuffled per item with seed 0 and the model answers a letter"
    )
    columns = ("Question", "Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3")
    seed = 0

    def load(self, root: Path) -> LoadResult:
        candidates = sorted(root.rglob("gpqa_diamond.csv")) if root.is_dir() else []
        if candidates:
            rows = read_csv(candidates[0], self.name, self.columns)
            files = [str(candidates[0])]
        else:
            rows, files = read_rows(root, self.split, self.name, self.columns)
        rng = random.Random(self.seed)  # one generator over the file in order: the shuffle is reproducible
        items = []
        for i, r in enumerate(rows):
            options = [r["Correct Answer"], r["Incorrect Answer 1"], r["Incorrect Answer 2"], r["Incorrect Answer 3"]]
            options = [str(o).strip() for o in options]
            order = list(range(4))
            rng.shuffle(order)
            shuffled = [options[j] for j in order]
            gold = "ABCD"[order.index(0)]
            items.append(
                Item(
                    row_id(r, ("Record ID",), i),
                    str(r["Question"]).strip(),
                    gold,
                    meta={"options": shuffled, "subdomain": r.get("Subdomain")},
                )
            )
        return LoadResult(items, files, len(rows))

    def _question(self, item: Item) -> str:
        a, b, c, d = item.meta["options"]
        return GPQA_LIGHTEVAL_PROMPT.format(question=item.question, A=a, B=b, C=c, D=d)

    def messages(self, item: Item, protocol: str) -> list[dict[str, Any]]:
        if protocol == "lmm_r1":
            return [user_message(self._question(item), 0)]
        shown = Item(item.id, self._question(item).replace("'Answer: $LETTER'", "the option letter"), item.gold)
        return super().messages(shown, protocol)

    def generation(self, protocol: str) -> GenSettings:
        return LIGHTEVAL if protocol == "lmm_r1" else super().generation(protocol)

    def extract(self, item: Item, response: str, protocol: str) -> Optional[str]:
        m = re.findall(r"Answer\s*:\s*\$?\s*\(?([A-D])\b", response or "")
        if m:
            return m[-1]
        return super().extract(item, response, protocol)

    def correct(self, item: Item, extracted: Optional[str]) -> bool:
        return letter_of(extracted, "ABCD") == item.gold
