"""How an answer is *written*: the text a model produced, cleaned before the answer is located, and the ways
one located answer can be read.

Real outputs carry things that are not part of the answer and broke extraction (issue 22): end-of-sequence
tokens left by a server (``False.</s><s>``), GSM8K calculator annotations (``<<20-4=16>>``) that look like
math, markdown emphasis (``**(B) 45°**``), control characters (a form feed), dollar signs that are currency
and not math delimiters (``$7 + $12 = $19``). :func:`clean_response` removes them, in linear time.

One located answer may hold its value in a larger written form: an equation whose last side is the value
(``3(4 + 1) = 15``, ``f(1.5) = 4``, ``\\sqrt{9} = 3``), an exact value beside its rounding
(``\\frac{\\sqrt{2}}{2} \\approx 0.707``), a number word (``\\text{seven}``). :func:`readings` lists the
candidate values in the order a grader should try them; the grader accepts the pair when one of them equals
the gold (never a hedge: each reading is one value the response stated).
"""

from __future__ import annotations

import re

# tokens chat servers and tokenizers leave in decoded text
_END_TOKENS = re.compile(
    r"</s>|<s>|<\|im_end\|>|<\|im_start\|>(?:assistant)?|<\|endoftext\|>|<\|eot_id\|>|<\|end\|>|<eos>|"
    r"<end_of_turn>|<\|end_of_text\|>|<\|assistant\|>|<｜end▁of▁sentence｜>"
)
_CALCULATOR = re.compile(r"<<[^<>\n]{0,200}>>")  # GSM8K's calculator annotations
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# markdown bold/underline markers, not Python's power operator between two operands (2**3)
_EMPHASIS = re.compile(r"(?<![\w)\]])(?:\*\*|__)|(?:\*\*|__)(?![\w(\[])")
_DOLLAR_NUMBER = re.compile(r"\$(?=\d)")
_ESCAPED_DOLLAR = re.compile(r"\\\$")  # LaTeX's \$ is a currency sign inside math
_FULL_WIDTH = str.maketrans({"。": ". ", "，": ", ", "：": ": ", "（": "(", "）": ")", "；": "; "})
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def clean_control(text: str) -> str:
    """Control characters (form feed, bell ...) become spaces: they separate words, they are not answers."""
    return _CONTROL.sub(" ", text)


def clean_response(text: str) -> str:
    """The response without end tokens, calculator annotations, emphasis markers and currency dollar signs."""
    text = clean_control(text)
    text = _END_TOKENS.sub("", text)
    text = text.translate(_FULL_WIDTH)  # Chinese punctuation read as its ASCII twin ("答案为 B。")
    if "<<" in text:
        text = _CALCULATOR.sub("", text)
    if "**" in text or "__" in text:
        text = _EMPHASIS.sub("", text)
    if "$" in text:
        text = _ESCAPED_DOLLAR.sub("", text)
        text = strip_currency(text)
    return text


def strip_currency(text: str) -> str:
    """Drop ``$`` signs that mark money (``$19,``, ``$7 + $12``), keep those that open math (``$5$``, ``$2x$``).

    A ``$`` before a number is money when the number is not closed by ``$`` at once and the next ``$`` (if
    any) does not close a tight math span: LaTeX writes ``$2 + 3$`` with no space before the closing sign,
    while money reads ``$7 + $12`` with a space before the next sign.
    """
    out = []
    last = 0
    for m in _DOLLAR_NUMBER.finditer(text):
        at = m.start()
        if at < last:
            continue
        if at > 0 and text[at - 1] not in " \t\n([{:=+-,;":
            continue  # "x$5" or "$$": not a money sign
        number = _NUMBER.match(text, at + 1)
        end = number.end() if number else at + 1
        after = text[end] if end < len(text) else ""
        if after == "$" or after in "\\^_{":
            continue  # "$5$", "$5\\%$", "$5^2$": math
        nxt = text.find("$", end)
        if nxt > 0 and not text[nxt - 1].isspace() and "\n" not in text[end:nxt]:
            continue  # "$2 + 3$": a math span closed tightly on this line
        out.append(text[last:at])
        last = at + 1
    out.append(text[last:])
    return "".join(out)


_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
}  # fmt: skip
_WORD_ANSWER = re.compile(r"^\s*(?:\\(?:text|mathrm|textbf|mbox)\s*\{\s*)?([A-Za-z]+)(?:\s*\})?\s*\.?\s*$")
_APPROX = re.compile(r"\\approx(?![A-Za-z])|≈|\\simeq(?![A-Za-z])")
_RELATION = re.compile(r"\\(?:le|ge|leq|geq|neq|ne|lt|gt)(?![A-Za-z])|[<>≤≥≠]|!=")


def number_word(answer: str) -> str | None:
    """``seven`` / ``\\text{seven}`` -> ``7`` (single number words only)."""
    m = _WORD_ANSWER.match(answer)
    if m and m.group(1).lower() in _NUMBER_WORDS:
        return str(_NUMBER_WORDS[m.group(1).lower()])
    return None


def _top_level_split(text: str, separator: re.Pattern[str]) -> list[str]:
    """Split at ``separator`` outside braces, brackets and parentheses."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and not separator.match(text, i):
            i += 2
            continue
        if ch in "{[(":
            depth += 1
        elif ch in "}])":
            depth = max(0, depth - 1)
        elif depth == 0:
            m = separator.match(text, i)
            if m and m.end() > m.start():
                parts.append(text[start:i])
                start = i = m.end()
                continue
        i += 1
    parts.append(text[start:])
    return parts


_EQUALS = re.compile(r"=")


def readings(answer: str) -> list[str]:
    """The values one located answer may state, most literal first (see the module docstring)."""
    out = [answer]
    word = number_word(answer)
    if word is not None:
        out.append(word)
    body = answer.strip().strip("$").strip()
    if _APPROX.search(body):
        for side in _top_level_split(body, _APPROX):
            if side.strip():
                out.append(side.strip())
    if "=" in body and not _RELATION.search(body):
        sides = [s.strip() for s in _top_level_split(body, _EQUALS)]
        if len(sides) >= 2 and sides[-1]:
            out.append(sides[-1])  # the value an equation or a worked expression ends on
    return list(dict.fromkeys(x for x in out if x.strip()))
