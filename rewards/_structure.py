r"""Structure of a normalised answer: relations, intervals, unions, sets, tuples, matrices, scalars.

``parse_answer`` turns the text ``_normalize`` produced into a small tagged tuple the comparison in
``_equiv`` walks: ``("rel", ops, sides)``, ``("pair", "(", a, b, "]")`` (an interval or a 2-tuple),
``("union", items)``, ``("set", items)`` (sets and bare lists, compared unordered), ``("tuple", items)``,
``("matrix", rows)``, ``("expr", tree, text)`` (a scalar, see ``_latex``), ``("text", text)`` and
``("empty",)``. Separators of a bare list: ``,`` then ``;`` then the words *and* / *or* (a list written
``x = 1 or x = 2`` is the solution set {1, 2}; a hedge on a single answer is refused earlier, in
``math``). ``a \pm b`` is the set {a + b, a - b}.
"""

from __future__ import annotations

import re

from . import _latex as L

_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {")", "]", "}"}
_REL_PATTERN = re.compile(r"\\leq?(?![A-Za-z])|\\geq?(?![A-Za-z])|\\neq?(?![A-Za-z])|<=|>=|!=|=|<|>")
_REL_NAME = {
    "=": "=",
    "<": "<",
    ">": ">",
    "<=": "<=",
    ">=": ">=",
    "\\le": "<=",
    "\\leq": "<=",
    "\\ge": ">=",
    "\\geq": ">=",
    "\\ne": "!=",
    "\\neq": "!=",
    "!=": "!=",
}
FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "=", "!=": "!="}
LETTER = re.compile(r"^\(?([A-J])\)?(?:[.:)]\s*.*)?$", re.DOTALL)


def split_top(s: str, sep: str) -> list[str]:
    """Split ``s`` on ``sep`` outside brackets and braces (``\\{`` counts as a brace)."""
    parts, depth, start, i = [], 0, 0, 0
    n, k = len(s), len(sep)
    while i < n:
        ch = s[i]
        if ch == "\\" and i + 1 < n and s[i + 1] in "{}":
            depth += 1 if s[i + 1] == "{" else -1
            i += 2
            continue
        if s.startswith("\\left", i) or s.startswith("\\right", i):
            i += 5 if s.startswith("\\left", i) else 6
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and s.startswith(sep, i):
            if sep.isalpha() or sep.startswith("\\"):
                # whole-word separators only (\cup not \cupcake)
                after = s[i + k : i + k + 1]
                if after.isalpha():
                    i += 1
                    continue
            parts.append(s[start:i])
            i += k
            start = i
            continue
        i += 1
    parts.append(s[start:])
    return parts


def _outer_bracketed(s: str) -> bool:
    """True if the first bracket closes at the last character (``(1,2]`` yes, ``(1)(2)`` no)."""
    depth = 0
    for i, ch in enumerate(s):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0 and i != len(s) - 1:
                return False
    return depth == 0


def parse_answer(text: str, depth: int = 0) -> tuple:
    """Structured value of a normalised answer (see module docstring)."""
    s = text.strip()
    if depth > 8:
        raise L.GuardError("answer structure nested too deeply")
    if not s:
        return ("empty",)
    # a matrix environment inside sizing brackets: \left[\begin{array}{cc}...\end{array}\right]
    m = re.match(r"^[\[(]\s*(\\begin\{(\w+)\}.*\\end\{\2\})\s*[\])]$", s, re.DOTALL)
    if m:
        s = m.group(1)
    # matrices
    m = re.match(r"^\\begin\{([pbBvV]?matrix|array)\}(?:\{[^{}]*\})?(.*)\\end\{\1\}$", s, re.DOTALL)
    if m and "\\end{" not in m.group(2):  # one matrix, not a sum or product of several
        rows = [r for r in re.split(r"\\\\", m.group(2)) if r.strip()]
        cells = [[parse_answer(c, depth + 1) for c in r.split("&")] for r in rows]
        if len(cells) == 1:
            return ("tuple", tuple(cells[0]))
        if all(len(r) == 1 for r in cells):
            return ("tuple", tuple(r[0] for r in cells))
        return ("matrix", tuple(tuple(r) for r in cells))
    m = re.match(r"^\\langle(.*)\\rangle$", s, re.DOTALL)
    if m:
        return ("tuple", tuple(parse_answer(p, depth + 1) for p in split_top(m.group(1), ",")))
    # "x \in [1, 2)"
    m = re.match(r"^[A-Za-z]\s*\\in\s*(.+)$", s, re.DOTALL)
    if m:
        return parse_answer(m.group(1), depth + 1)
    # unions
    parts = split_top(s, "\\cup")
    if len(parts) > 1:
        return ("union", tuple(parse_answer(p, depth + 1) for p in parts))
    # sets \{...\}
    if s.startswith("\\{") and s.endswith("\\}"):
        inner = s[2:-2]
        return ("set", tuple(parse_answer(p, depth + 1) for p in split_top(inner, ",") if p.strip()))
    # intervals, points, tuples
    if s[0] in "([" and s[-1] in ")]" and _outer_bracketed(s):
        items = split_top(s[1:-1], ",")
        if len(items) == 2:
            return ("pair", s[0], parse_answer(items[0], depth + 1), parse_answer(items[1], depth + 1), s[-1])
        if len(items) > 2:
            return ("tuple", tuple(parse_answer(p, depth + 1) for p in items))
    if s[0] == "{" and s[-1] == "}" and _outer_bracketed(s):
        items = split_top(s[1:-1], ",")
        if len(items) >= 2:
            return ("set", tuple(parse_answer(p, depth + 1) for p in items))
        return parse_answer(s[1:-1], depth + 1)
    # bare lists: "1, 2, 3" (unordered), also "1 and 2"
    items = split_top(s, ",")
    if len(items) == 1:
        items = split_top(s, ";")
    if len(items) == 1 and re.search(r"\sand\s", s):
        items = re.split(r"\s+and\s+", s)
    if len(items) == 1 and _OR.search(s):
        items = _OR.split(s)
    if len(items) > 1:
        return ("set", tuple(parse_answer(p, depth + 1) for p in items if p.strip()))
    # a \pm b: the set {a + b, a - b}; "x = \pm 3" names the unknown
    plus_minus = plus_minus_set(s)
    if plus_minus is not None:
        return ("set", tuple(parse_answer(p, depth + 1) for p in plus_minus))
    # relations
    rels = [(m.start(), m.end(), _REL_NAME[m.group()]) for m in _REL_PATTERN.finditer(s)]
    if rels:
        sides, ops, pos = [], [], 0
        for start, end, op in rels:
            sides.append(s[pos:start])
            ops.append(op)
            pos = end
        sides.append(s[pos:])
        if any(not x.strip() for x in sides):
            return ("text", s)
        return ("rel", tuple(ops), tuple(parse_answer(x, depth + 1) for x in sides))
    return _scalar(s)


_OR = re.compile(r"\s+or\s+|\s*\\(?:lor|vee)(?![A-Za-z])\s*")


def plus_minus_set(s: str) -> list[str] | None:
    """``1 \\pm \\sqrt{2}`` -> [``1+(\\sqrt{2})``, ``1-(\\sqrt{2})``]; None without one top-level ``\\pm``."""
    for sign in ("\\pm", "\\mp"):
        parts = split_top(s, sign)
        if len(parts) == 1:
            continue
        if len(parts) > 2:
            return None
        head, tail = parts
        if not tail.strip():
            return None
        eq = split_top(head, "=")
        if len(eq) == 2 and not eq[1].strip():
            head = ""  # "x = \pm 3"
        elif len(eq) > 1:
            return None
        if head.strip():
            return [f"{head}+({tail})", f"{head}-({tail})"]
        return [f"{tail}", f"-({tail})"]
    return None


_TEXTY = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{3,}")
_KNOWN_WORDS = re.compile(
    r"(?<![A-Za-z])(?:sqrt|sin|cos|tan|cot|sec|csc|arcsin|arccos|arctan|sinh|cosh|tanh|log|ln|exp|pi|frac)"
    r"(?![A-Za-z])"
)


def _scalar(s: str) -> tuple:
    s = s.strip()
    if not s:
        return ("empty",)
    letters = _KNOWN_WORDS.sub("", re.sub(r"\\[A-Za-z]+", "", s))
    if _TEXTY.search(letters) or (re.fullmatch(r"[A-Za-z]{2}", s) and not s.islower()):
        return ("text", s)
    try:
        return ("expr", L.parse(s), s)
    except L.GuardError:
        raise
    except (L.ParseError, ValueError, ZeroDivisionError, IndexError, KeyError):
        return ("text", s)
