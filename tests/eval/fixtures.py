"""Small benchmark folders in each public repository's layout, written for lmmr1's tests.

Rows are invented (no dataset is copied), but the files, columns and value shapes are those of the public
repositories (see ../shared/design/EVAL_FACTS.md): parquet shards named by split with images as the
``datasets`` Image struct, MATH-500's ``test.jsonl``, GPQA's CSV. ``LABELLED`` pairs each item with
hand-written model responses and whether a careful human grader counts them correct; the scorer must agree.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def png(width: int = 56, height: int = 56, colour: str = "white") -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), colour)
    ImageDraw.Draw(image).rectangle((8, 8, width - 8, height - 8), outline="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def image(name: str) -> dict:
    return {"bytes": png(), "path": name}


MATH500 = [
    {
        "problem": "Compute $\\frac{2}{4}$.",
        "solution": "...",
        "answer": "\\frac{1}{2}",
        "subject": "Algebra",
        "level": 1,
        "unique_id": "test/algebra/1.json",
    },
    {
        "problem": "Find $x$ if $x+3=10$.",
        "solution": "...",
        "answer": "7",
        "subject": "Algebra",
        "level": 1,
        "unique_id": "test/algebra/2.json",
    },
    {
        "problem": "Write the interval where $x^2<4$.",
        "solution": "...",
        "answer": "(-2,2)",
        "subject": "Intermediate Algebra",
        "level": 2,
        "unique_id": "test/intermediate_algebra/3.json",
    },
    {
        "problem": "What is $\\sqrt{8}$ in simplest form?",
        "solution": "...",
        "answer": "2\\sqrt{2}",
        "subject": "Prealgebra",
        "level": 2,
        "unique_id": "test/prealgebra/4.json",
    },
]

GPQA = [
    {
        "Question": "Which particle carries the electromagnetic force?",
        "Correct Answer": "photon",
        "Incorrect Answer 1": "gluon",
        "Incorrect Answer 2": "W boson",
        "Incorrect Answer 3": "graviton",
        "Subdomain": "Physics",
        "Record ID": "rec0001",
    },
    {
        "Question": "What is the pH of pure water at 25 C?",
        "Correct Answer": "7",
        "Incorrect Answer 1": "0",
        "Incorrect Answer 2": "14",
        "Incorrect Answer 3": "1",
        "Subdomain": "Chemistry",
        "Record ID": "rec0002",
    },
    {
        "Question": "Which organelle makes ATP?",
        "Correct Answer": "mitochondrion",
        "Incorrect Answer 1": "ribosome",
        "Incorrect Answer 2": "nucleus",
        "Incorrect Answer 3": "lysosome",
        "Subdomain": "Biology",
        "Record ID": "rec0003",
    },
]

OLYMPIAD = [
    {
        "question_id": 101,
        "question": "Give $\\pi$ to two decimals.",
        "images": [],
        "subfield": "Algebra",
        "is_multiple_answer": False,
        "answer_type": "Numerical",
        "error": "0.01",
        "source": "OE_TO_maths_en_COMP",
        "final_answer": ["$3.14$"],
    },
    {
        "question_id": 102,
        "question": "Simplify $(x+1)^2-2x$.",
        "images": [image("a.png")],
        "subfield": "Algebra",
        "is_multiple_answer": False,
        "answer_type": "Expression",
        "error": None,
        "source": "OE_MM_maths_en_COMP",
        "final_answer": ["$x^2+1$"],
    },
    {
        "question_id": 103,
        "question": "Prove that there are infinitely many primes.",
        "images": [],
        "subfield": "Number Theory",
        "is_multiple_answer": False,
        "answer_type": None,
        "error": None,
        "source": "TP_TO_maths_en_COMP",
        "final_answer": [],
    },
]

MATHVISION = [
    {
        "id": "1",
        "question": "<image1>Which shape is largest?",
        "options": ["A", "B", "C", "D", "E"],
        "decoded_image": image("1.png"),
        "answer": "C",
        "solution": None,
        "level": 2,
        "subject": "metric geometry - area",
    },
    {
        "id": "2",
        "question": "<image1>How many edges does the solid have?",
        "options": [],
        "decoded_image": image("2.png"),
        "answer": "12",
        "solution": None,
        "level": 3,
        "subject": "solid geometry",
    },
    {
        "id": "3",
        "question": "<image1>Find the slope of the line.",
        "options": [],
        "decoded_image": image("3.png"),
        "answer": "\\frac{3}{4}",
        "solution": None,
        "level": 4,
        "subject": "analytic geometry",
    },
    {
        "id": "4",
        "question": "<image1>How many paths are there?",
        "options": ["4", "6", "8", "10", "12"],
        "decoded_image": image("4.png"),
        "answer": "B",
        "solution": None,
        "level": 3,
        "subject": "combinatorial geometry",
    },
    {
        "id": "5",
        "question": "<image1>Find angle x.",
        "options": [],
        "decoded_image": image("5.png"),
        "answer": "40",
        "solution": None,
        "level": 2,
        "subject": "metric geometry - angle",
    },
]

_VERSIONS = ["Text Dominant", "Text Lite", "Vision Intensive", "Vision Dominant", "Vision Only"]
MATHVERSE = [
    {
        "sample_index": str(10 * p + v),
        "problem_index": str(p),
        "problem_version": version,
        "question": q,
        "image": image(f"{p}.png"),
        "answer": a,
        "question_type": t,
        "metadata": {"split": "testmini", "source": "x", "subject": "plane geometry", "subfield": "angle"},
        "query_wo": q,
        "query_cot": q + " Think step by step.",
        "question_for_eval": q,
    }
    for p, (q, a, t) in enumerate(
        [
            ("Find the angle ABC. Choices: A:30 B:60 C:90 D:120", "B", "multi-choice"),
            ("Find the length of AB.", "5", "free-form"),
        ]
    )
    for v, version in enumerate(_VERSIONS)
] + [
    {
        "sample_index": "999",
        "problem_index": "9",
        "problem_version": "Text Only",
        "question": "Text only question.",
        "image": None,
        "answer": "1",
        "question_type": "free-form",
        "metadata": {"split": "testmini", "source": "x", "subject": "s", "subfield": "f"},
        "query_wo": "q",
        "query_cot": "q",
        "question_for_eval": "q",
    },
]

MMSTAR = [
    {
        "index": i,
        "question": "What is shown? Options: A: cat, B: dog, C: bird, D: fish",
        "image": image(f"{i}.png"),
        "answer": ans,
        "category": cat,
        "l2_category": l2,
        "meta_info": {"source": "invented"},
    }
    for i, (ans, cat, l2) in enumerate(
        [
            ("A", "coarse perception", "image scene and topic"),
            ("B", "coarse perception", "image scene and topic"),
            ("C", "coarse perception", "image scene and topic"),
            ("D", "math", "geometry"),
        ]
    )
]

MATHVISTA = [
    {
        "pid": "1",
        "question": "How many sides?",
        "decoded_image": image("1.png"),
        "choices": ["3", "4", "5", "6"],
        "unit": None,
        "precision": None,
        "answer": "5",
        "question_type": "multi_choice",
        "answer_type": "text",
        "metadata": {"source": "invented"},
        "query": None,
    },
    {
        "pid": "2",
        "question": "How many dots?",
        "decoded_image": image("2.png"),
        "choices": None,
        "unit": None,
        "precision": None,
        "answer": "14",
        "question_type": "free_form",
        "answer_type": "integer",
        "metadata": {"source": "invented"},
        "query": None,
    },
    {
        "pid": "3",
        "question": "What is the ratio?",
        "decoded_image": image("3.png"),
        "choices": None,
        "unit": None,
        "precision": 1.0,
        "answer": "1.2",
        "question_type": "free_form",
        "answer_type": "float",
        "metadata": {"source": "invented"},
        "query": None,
    },
    {
        "pid": "4",
        "question": "Is the line straight?",
        "decoded_image": image("4.png"),
        "choices": None,
        "unit": None,
        "precision": None,
        "answer": "yes",
        "question_type": "free_form",
        "answer_type": "text",
        "metadata": {"source": "invented"},
        "query": None,
    },
    {
        "pid": "5",
        "question": "List the two roots.",
        "decoded_image": image("5.png"),
        "choices": None,
        "unit": None,
        "precision": None,
        "answer": "[2, 3]",
        "question_type": "free_form",
        "answer_type": "list",
        "metadata": {"source": "invented"},
        "query": None,
    },
]

# (benchmark, id, response, correct by hand) -- every answer type of every benchmark, right and wrong
LABELLED: list[tuple[str, str, str, bool]] = [
    ("math500", "test/algebra/1.json", "<think>2/4</think><answer>\\boxed{0.5}</answer>", True),
    (
        "math500",
        "test/algebra/1.json",
        "Therefore, the final answer is: $\\boxed{\\dfrac{1}{2}}$. I hope it is correct",
        True,
    ),
    ("math500", "test/algebra/1.json", "<answer>\\boxed{2}</answer>", False),
    ("math500", "test/algebra/2.json", "Final Answer: The final answer is $7$. I hope it is correct.", True),
    ("math500", "test/algebra/2.json", "<answer>x = 8</answer>", False),
    ("math500", "test/intermediate_algebra/3.json", "<answer>\\boxed{(-2, 2)}</answer>", True),
    ("math500", "test/intermediate_algebra/3.json", "<answer>\\boxed{[-2, 2]}</answer>", False),
    ("math500", "test/prealgebra/4.json", "<answer>\\boxed{\\sqrt{8}}</answer>", True),
    ("math500", "test/prealgebra/4.json", "<answer>\\boxed{2.83}</answer>", False),
    ("olympiadbench", "101", "So the final answer is \\boxed{3.141}.", True),
    ("olympiadbench", "101", "So the final answer is \\boxed{3.2}.", False),
    ("olympiadbench", "102", "So the final answer is \\boxed{1+x^2}.", True),
    ("olympiadbench", "102", "So the final answer is \\boxed{x^2+2x+1}.", False),
    ("mathvision", "1", "<answer>\\boxed{C}</answer>", True),
    ("mathvision", "1", "<answer>(D)</answer>", False),
    ("mathvision", "2", "<answer>\\boxed{12}</answer>", True),
    ("mathvision", "2", "<answer>\\boxed{8}</answer>", False),
    ("mathvision", "3", "<answer>\\boxed{0.75}</answer>", True),
    ("mathvision", "4", "<answer>B</answer>", True),
    ("mathvision", "4", "<answer>6</answer>", True),  # the option's text instead of its letter
    ("mathvision", "4", "<answer>A</answer>", False),
    ("mathvision", "5", "<answer>\\boxed{40^\\circ}</answer>", True),
    ("mathverse", "0", "<answer>B</answer>", True),
    ("mathverse", "0", "<answer>\\boxed{B}</answer>", True),
    ("mathverse", "1", "<answer>C</answer>", False),
    ("mathverse", "10", "<answer>\\boxed{5}</answer>", True),
    ("mathverse", "11", "<answer>\\boxed{6}</answer>", False),
    ("mmstar", "0", "<answer>A</answer>", True),
    ("mmstar", "1", "<answer>(B)</answer>", True),
    ("mmstar", "2", "<answer>B and C</answer>", False),
    ("mmstar", "3", "<answer>A</answer>", False),
    ("mathvista", "1", "<answer>C</answer>", True),
    ("mathvista", "1", "<answer>5</answer>", True),
    ("mathvista", "1", "<answer>B</answer>", False),
    ("mathvista", "2", "<answer>\\boxed{14}</answer>", True),
    ("mathvista", "2", "<answer>\\boxed{14.5}</answer>", False),
    ("mathvista", "3", "<answer>1.23</answer>", True),
    ("mathvista", "3", "<answer>1.3</answer>", False),
    ("mathvista", "4", "<answer>Yes</answer>", True),
    ("mathvista", "4", "<answer>no</answer>", False),
    ("mathvista", "5", "<answer>[2, 3]</answer>", True),
    ("mathvista", "5", "<answer>[2, 4]</answer>", False),
]


def _parquet(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)


def write_benchmarks(root: Path) -> Path:
    """Write every benchmark folder under ``root``; returns ``root`` (the ``--data-dir``)."""
    (root / "math500").mkdir(parents=True, exist_ok=True)
    with open(root / "math500" / "test.jsonl", "w", encoding="utf-8") as fh:
        for row in MATH500:
            fh.write(json.dumps(row) + "\n")
    (root / "gpqa_diamond").mkdir(parents=True, exist_ok=True)
    with open(root / "gpqa_diamond" / "gpqa_diamond.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(GPQA[0]))
        writer.writeheader()
        writer.writerows(GPQA)
    _parquet(OLYMPIAD, root / "olympiadbench" / "test_en" / "test_en-00000-of-00001.parquet")
    _parquet(MATHVISION, root / "mathvision" / "data" / "test-00000-of-00001.parquet")
    _parquet(MATHVISION[:2], root / "mathvision" / "data" / "testmini-00000-of-00001.parquet")
    _parquet(MATHVERSE, root / "mathverse" / "testmini" / "testmini-00000-of-00001.parquet")
    _parquet(MMSTAR, root / "mmstar" / "mmstar" / "val-00000-of-00001.parquet")
    _parquet(MATHVISTA, root / "mathvista" / "data" / "testmini-00000-of-00001-6a8b2c1f.parquet")
    from lmmr1.data.generate import generate_level_set

    generate_level_set(3, (7, 7), 2, 0, root / "sokoban_global", solve=True, progress=False)
    (root / "football_online").mkdir(parents=True, exist_ok=True)
    with open(root / "football_online" / "games.jsonl", "w", encoding="utf-8") as fh:
        for i, scenario in enumerate(["academy_empty_goal_close", "academy_3_vs_1_with_keeper"]):
            fh.write(json.dumps({"id": f"game-{i}", "scenario": scenario, "seed": i}) + "\n")
    return root
