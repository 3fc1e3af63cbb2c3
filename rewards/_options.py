"""What an answer *means* when it names options: the option letters it names, in order.

One reader for the ``choice`` reward and every multiple-choice benchmark of ``lmmr1 eval``, so training and
evaluation agree on ``The answer is C (the left lobe).``, ``(B) 3``, ``C. Decrease``, ``\\boxed{c}`` (one
letter each) and on hedges: ``(B) AC, (D) BD`` or ``B or D`` name two options and are never read as one.
"""

from __future__ import annotations

import re

LETTERS = "ABCDEFGHIJ"
# a letter standing alone as an option mark: "(B)", "B.", "B:", "B" before a comma, "and", "or", the end, or
# a parenthesised gloss ("C (the left lobe)")
_MARK = r"(?:^|(?<=[\s,;(/\[{]))\(?([{L}])(?:\)|\]|[.:]|(?=\s*(?:,|/|;|$|and\b|or\b|&|\}}|\()))"
_UNWRAP = re.compile(r"\\(?:text|mathrm|textbf|mathbf|mbox|boxed)\s*\{([^{}]*)\}")
_LONE_LOWER = re.compile(r"^\s*\(?\s*([a-j])\s*\)?\s*[.:]?\s*$")


def option_letters(text: str | None, letters: str = LETTERS) -> list[str]:
    """The option letters ``text`` names (``[]`` when none); more than one means a hedge."""
    if not text:
        return []
    t = text
    for _ in range(3):
        t = _UNWRAP.sub(r"\1", t)
    t = t.replace("$", " ").strip()
    lone = _LONE_LOWER.match(t)
    if lone and lone.group(1).upper() in letters:  # "\boxed{c}", "(b)": a bare lower-case letter is an option
        return [lone.group(1).upper()]
    pattern = re.compile(_MARK.replace("{L}", re.escape(letters)))
    return list(dict.fromkeys(m.group(1) for m in pattern.finditer(t)))


def single_option(text: str | None, letters: str = LETTERS) -> str | None:
    """The one option ``text`` names, or None (no option, or several: a hedge is not an answer)."""
    found = option_letters(text, letters)
    return found[0] if len(found) == 1 else None
