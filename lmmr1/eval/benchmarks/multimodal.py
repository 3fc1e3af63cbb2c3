"""Multimodal benchmarks of Tables 1-2: OlympiadBench, MathVision, MathVerse, MM-Star, MathVista.

Each reads the public repository's parquet shards as distributed (``lmmr1 ls benchmarks`` lists the layout)
and aggregates the way LMM-R1's tables do: MM-Star as the macro average of its ``l2_category`` means,
MathVerse as the mean of its five vision versions (Table 2's TD/TL/VI/VD/VO), MathVision with Table 2's
geometry sub-fields (Analytic, Combinatorial, Metric, Solid; AVG = their unweighted mean).
"""

from __future__ import annotations

import re
from pathlib import Path
from statistics import mean
from typing import Any, Optional

from lmmr1.eval.core import (
    Benchmark,
    Item,
    LoadResult,
    letter_of,
    math_equal,
    mean_score,
    number_of,
    user_message,
)
from lmmr1.eval.loaders import image_bytes, read_rows, row_id
from lmmr1.prompts import SYSTEM_PROMPT

LETTERS = "ABCDEFGHIJ"


def _options_text(options: list[Any]) -> str:
    return "\n".join(f"({LETTERS[i]}) {o}" for i, o in enumerate(options))


def _norm_text(text: Any) -> str:
    """Option and answer texts compared as written, minus what does not change them: spacing, case, a final
    full stop, and math delimiters on either side (``\\frac{49}{6}`` = ``$\\frac{49}{6}$``)."""
    text = re.sub(r"\s+", " ", str(text)).strip().strip(".").strip()
    if text.startswith("$") and text.endswith("$") and len(text) > 1:
        text = text.strip("$").strip()
    elif text.startswith("\\(") and text.endswith("\\)"):
        text = text[2:-2].strip()
    return text.casefold()


class OlympiadBench(Benchmark):
    name = "olympiadbench"
    title = "OlympiadBench"
    split = "test_en"
    expects = (
        "lmms-lab/OlympiadBench: test_en parquet shards with question, images, subfield, "
        "is_multiple_answer, answer_type, error, source, final_answer; proof items (source with TP) are "
        "not scored"
    )
    columns = ("question", "final_answer", "source")
    judged_in_paper = False

    PROMPT = (
        "The following is a question from an International {subfield} competition.{multi} Solve it and "
        "end your solution with 'So the final answer is \\boxed{{answer}}.'\n\n{question}"
    )

    def load(self, root: Path) -> LoadResult:
        rows, files = read_rows(root, self.split, self.name, self.columns)
        items, excluded = [], {}
        for i, r in enumerate(rows):
            if "TP" in str(r.get("source", "")):
                reason = "proof item (source contains TP): not scored in LMM-R1's protocol"
                excluded[reason] = excluded.get(reason, 0) + 1
                continue
            golds = r["final_answer"] if isinstance(r["final_answer"], list) else [r["final_answer"]]
            golds = [str(g).strip().strip("$").strip() for g in golds if g is not None]
            images = [image_bytes(img, r, "images", self.name) for img in (r.get("images") or []) if img is not None]
            items.append(
                Item(
                    row_id(r, ("question_id", "id", "index"), i),
                    str(r["question"]),
                    golds,
                    images,
                    meta={
                        "subfield": r.get("subfield") or "Math",
                        "answer_type": r.get("answer_type"),
                        "error": r.get("error"),
                        "multiple": bool(r.get("is_multiple_answer")),
                    },
                )
            )
        return LoadResult(items, files, len(rows), excluded)

    def messages(self, item: Item, protocol: str) -> list[dict[str, Any]]:
        if protocol != "lmm_r1":
            return super().messages(item, protocol)
        multi = (
            " The problem has more than one answer; give them all, separated by commas."
            if item.meta["multiple"]
            else ""
        )
        text = self.PROMPT.format(subfield=item.meta["subfield"], multi=multi, question=item.question)
        return [{"role": "system", "content": SYSTEM_PROMPT}, user_message(text, len(item.images))]

    def correct(self, item: Item, extracted: Optional[str]) -> bool:
        if not extracted:
            return False
        golds = list(item.gold)
        tolerance = number_of(str(item.meta.get("error"))) if item.meta.get("error") not in (None, "") else None
        if tolerance is not None and "numer" in str(item.meta.get("answer_type", "")).lower() and len(golds) == 1:
            got, want = number_of(extracted), number_of(golds[0])
            if got is not None and want is not None:
                return abs(got - want) <= tolerance
        if len(golds) > 1:
            return math_equal(extracted, ", ".join(golds))
        return math_equal(extracted, golds[0])


class MathVision(Benchmark):
    name = "mathvision"
    title = "MathVision"
    split = "test"
    expects = (
        "MathLLMs/MathVision: test (3,040) or testmini parquet shards with id, question, options, "
        "decoded_image, answer, subject"
    )
    columns = ("id", "question", "options", "decoded_image", "answer", "subject")
    judged_in_paper = True
    # Table 2's columns: subject values pooled into each (the paper's "Metric" pools the three metric subjects)
    TABLE2 = {
        "Analytic": ("analytic geometry",),
        "Combinatorial": ("combinatorial geometry",),
        "Metric": ("metric geometry - angle", "metric geometry - area", "metric geometry - length"),
        "Solid": ("solid geometry",),
    }

    def load(self, root: Path) -> LoadResult:
        rows, files = read_rows(root, self.split, self.name, self.columns)
        items = []
        for i, r in enumerate(rows):
            options = list(r.get("options") or [])
            question = str(r["question"]).replace("<image1>", "").strip()
            if options:
                question += "\n\nChoices:\n" + _options_text(options)
            items.append(
                Item(
                    row_id(r, ("id",), i),
                    question,
                    str(r["answer"]).strip(),
                    [image_bytes(r["decoded_image"], r, "decoded_image", self.name)],
                    meta={"options": options, "subject": str(r.get("subject", "")).strip().lower()},
                )
            )
        return LoadResult(items, files, len(rows))

    def correct(self, item: Item, extracted: Optional[str]) -> bool:
        if not extracted:
            return False
        options = item.meta["options"]
        if options:
            letter = letter_of(extracted, LETTERS[: len(options)])
            if letter is not None:
                return letter == item.gold.upper()
            gold_index = LETTERS.find(item.gold.upper())
            return 0 <= gold_index < len(options) and _norm_text(extracted) == _norm_text(options[gold_index])
        return math_equal(extracted, item.gold)

    def aggregate(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        out = mean_score(records)
        by_subject: dict[str, list[dict[str, Any]]] = {}
        for r in records:
            by_subject.setdefault(r.get("meta", {}).get("subject", ""), []).append(r)
        out["subjects"] = {s: mean_score(rs)["score"] for s, rs in sorted(by_subject.items())}
        table2 = {}
        for column, subjects in self.TABLE2.items():
            pooled = [r for s in subjects for r in by_subject.get(s, [])]
            table2[column] = mean_score(pooled)["score"] if pooled else None
        present = [v for v in table2.values() if v is not None]
        table2["AVG"] = mean(present) if len(present) == len(self.TABLE2) else None
        out["table2"] = table2
        return out


class MathVerse(Benchmark):
    name = "mathverse"
    title = "MathVerse"
    split = "testmini"
    expects = (
        "CaraJ/MathVerse-lmmseval: testmini parquet shards with sample_index, problem_version, question, "
        "image, answer, question_type (query_cot used when present); Text Only rows are not scored"
    )
    columns = ("sample_index", "problem_version", "question", "image", "answer", "question_type")
    judged_in_paper = True
    VERSIONS = {
        "Text Dominant": "TD",
        "Text Lite": "TL",
        "Vision Intensive": "VI",
        "Vision Dominant": "VD",
        "Vision Only": "VO",
    }

    def load(self, root: Path) -> LoadResult:
        rows, files = read_rows(root, self.split, self.name, self.columns)
        items, excluded = [], {}
        for i, r in enumerate(rows):
            version = str(r["problem_version"]).strip()
            if version not in self.VERSIONS:
                reason = f"problem_version '{version}': not one of the five vision versions LMM-R1 scored"
                excluded[reason] = excluded.get(reason, 0) + 1
                continue
            question = str(r.get("query_cot") or r["question"]).strip()
            images = [image_bytes(r["image"], r, "image", self.name)] if r.get("image") is not None else []
            items.append(
                Item(
                    row_id(r, ("sample_index",), i),
                    question,
                    str(r["answer"]).strip(),
                    images,
                    meta={
                        "version": self.VERSIONS[version],
                        "multi_choice": "multi" in str(r["question_type"]).lower(),
                    },
                )
            )
        return LoadResult(items, files, len(rows), excluded)

    def judge_instruction(self, item: Item) -> str:
        return (
            "Extract the final answer from the last part of a model's response to a math question. Reply "
            "with the answer only (an option letter for a multiple-choice question), or NONE."
        )

    def correct(self, item: Item, extracted: Optional[str]) -> bool:
        if not extracted:
            return False
        if item.meta["multi_choice"]:
            gold = letter_of(item.gold) or item.gold.strip().upper()[:1]
            return letter_of(extracted) == gold
        return math_equal(extracted, item.gold)

    def aggregate(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        by_version: dict[str, list[dict[str, Any]]] = {}
        for r in records:
            by_version.setdefault(r.get("meta", {}).get("version", ""), []).append(r)
        versions = {v: mean_score(by_version[v])["score"] for v in self.VERSIONS.values() if by_version.get(v)}
        out = mean_score(records)
        out["item_mean"] = out["score"]
        # Table 1 (and Table 2's "avg"): the mean of the five version scores
        out["score"] = mean(versions.values()) if versions else None
        out["versions"] = versions
        return out


class MMStar(Benchmark):
    name = "mmstar"
    title = "MM-Star"
    split = "val"
    expects = "Lin-Chen/MMStar: val parquet shards with index, question (options inside), image, answer (letter), category, l2_category"
    columns = ("index", "question", "image", "answer", "category", "l2_category")
    judged_in_paper = True

    def load(self, root: Path) -> LoadResult:
        rows, files = read_rows(root, self.split, self.name, self.columns)
        items = [
            Item(
                row_id(r, ("index",), i),
                str(r["question"]).strip(),
                str(r["answer"]).strip().upper(),
                [image_bytes(r["image"], r, "image", self.name)],
                meta={"category": r.get("category"), "l2_category": r.get("l2_category")},
            )
            for i, r in enumerate(rows)
        ]
        return LoadResult(items, files, len(rows))

    def messages(self, item: Item, protocol: str) -> list[dict[str, Any]]:
        text = item.question + "\nAnswer with the option's letter from the given choices inside the <answer> tags."
        return [{"role": "system", "content": SYSTEM_PROMPT}, user_message(text, len(item.images))]

    def correct(self, item: Item, extracted: Optional[str]) -> bool:
        return letter_of(extracted) == item.gold

    def aggregate(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        by_l2: dict[str, list[dict[str, Any]]] = {}
        by_cat: dict[str, list[dict[str, Any]]] = {}
        for r in records:
            meta = r.get("meta", {})
            by_l2.setdefault(str(meta.get("l2_category")), []).append(r)
            by_cat.setdefault(str(meta.get("category")), []).append(r)
        out = mean_score(records)
        out["item_mean"] = out["score"]
        l2 = {k: mean_score(v)["score"] for k, v in sorted(by_l2.items())}
        out["score"] = mean(l2.values()) if l2 else None  # the macro average of the l2 categories
        out["l2_categories"] = l2
        out["categories"] = {k: mean_score(v)["score"] for k, v in sorted(by_cat.items())}
        return out


class MathVista(Benchmark):
    name = "mathvista"
    title = "MathVista"
    split = "testmini"
    expects = (
        "AI4Math/MathVista: testmini parquet shards with pid, question, decoded_image, choices, unit, "
        "precision, answer, question_type, answer_type (query used when present)"
    )
    columns = ("pid", "question", "decoded_image", "choices", "precision", "answer", "question_type", "answer_type")
    judged_in_paper = True

    def load(self, root: Path) -> LoadResult:
        rows, files = read_rows(root, self.split, self.name, self.columns)
        items = []
        for i, r in enumerate(rows):
            choices = list(r.get("choices") or [])
            question = str(r.get("query") or r["question"]).strip()
            if choices and not r.get("query"):
                question += "\n\nChoices:\n" + _options_text(choices)
            items.append(
                Item(
                    row_id(r, ("pid",), i),
                    question,
                    str(r["answer"]).strip(),
                    [image_bytes(r["decoded_image"], r, "decoded_image", self.name)],
                    meta={
                        "choices": choices,
                        "question_type": r.get("question_type"),
                        "answer_type": r.get("answer_type"),
                        "precision": r.get("precision"),
                        "unit": r.get("unit"),
                    },
                )
            )
        return LoadResult(items, files, len(rows))

    def correct(self, item: Item, extracted: Optional[str]) -> bool:
        if not extracted:
            return False
        meta = item.meta
        if meta["question_type"] == "multi_choice" and meta["choices"]:
            letter = letter_of(extracted, LETTERS[: len(meta["choices"])])
            if letter is not None:
                return _norm_text(meta["choices"][LETTERS.index(letter)]) == _norm_text(item.gold)
            return _norm_text(extracted) == _norm_text(item.gold)
        kind = str(meta.get("answer_type"))
        if kind == "integer":
            got, want = number_of(extracted), number_of(item.gold)
            return got is not None and want is not None and float(got).is_integer() and int(got) == int(want)
        if kind == "float":
            got, want = number_of(extracted), number_of(item.gold)
            digits = int(meta.get("precision") or 0)
            return got is not None and want is not None and round(got, digits) == round(want, digits)
        if kind == "text":
            return _norm_text(extracted) == _norm_text(item.gold)
        return math_equal(extracted, item.gold)
