"""Equivalence of two final answers (the model's and the gold one).

Layers, cheapest first:

1. normalisation (``normalize``): strip delimiters, ``\\text{}``, units, degree signs, thousands
   separators (commas and thin spaces), trailing punctuation; equal strings are equal answers;
2. structure (``parse_answer``): relations (``x=3``, ``y=5x+1``), intervals and unions, sets and bare
   lists (unordered), tuples and vectors (ordered), matrices, multiple-choice letters, text;
3. scalar values: exact rational arithmetic (``Fraction``), then complex evaluation at random points for
   expressions with variables, all in-process and bounded by the parser's guards;
4. only when 3 cannot decide (domain errors, overflow): sympy, built from the tree by constructors. This
   is the *slow path*; callers that must not block pass ``allow_slow=False`` and get ``NeedSlow``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from . import _latex as L

# ------------------------------------------------------------------------------------------------
# normalisation
# ------------------------------------------------------------------------------------------------


class NeedSlow(Exception):
    """Numeric checks could not decide; symbolic comparison (time-limited) is needed."""


_UNIT_WORDS = (
    "cm|mm|km|m|kg|mg|g|s|sec|secs|second|seconds|min|mins|minute|minutes|h|hr|hrs|hour|hours|day|days|"
    "week|weeks|month|months|year|years|degree|degrees|deg|unit|units|dollar|dollars|cent|cents|meter|"
    "meters|metre|metres|foot|feet|ft|inch|inches|mile|miles|mph|yard|yards|l|ml|liter|liters|litre|"
    "litres|people|students|cm\\^2|cm\\^3|m\\^2|m\\^3|km/h|m/s|square|sq|cubic|radians|rad|pounds|lbs|oz|"
    "ounces|gallons|apples|points|ways|times|percent"
)
_UNIT_TAIL = re.compile(
    r"(?<=[\d}])(?:\s*\\(?:text|mbox|mathrm|textrm)\s*\{[^{}]*\}(?:\^\{?\d\}?)?)+\s*$"
    r"|(?<=[\d}])\s*(?:(?:" + _UNIT_WORDS + r")(?:\^\{?\d\}?)?\.?\s*)+$"
    r"|(?<=[\d}])\s+[A-Za-z]{3,}(?:\s+[A-Za-z]{3,})?\.?\s*$"
)
_WRAPPERS = re.compile(r"\\(?:text|mbox|mathrm|textrm|textbf|mathbf|mathit|textit|operatorname|boldsymbol)\s*\{")
_NOISE = re.compile(
    r"\\(?:left|right|big|Big|bigg|Bigg|bigl|bigr|Bigl|Bigr|displaystyle|textstyle|!|;|:|quad|qquad)(?![A-Za-z])"
)
_DEGREE = re.compile(r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|°|\\degree|\\circ")
_THIN_THOUSANDS = re.compile(r"(?<=\d)(?:\\,|\{,\}|\\ |\u2009|\u202f|\u00a0|\\thinspace\s*)(?=\d{3}(?!\d))")
_COMMA_NUMBER = re.compile(r"^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


def _unwrap(text: str) -> str:
    """Replace ``\\text{abc}`` (and friends) by ``abc``, keeping nested braces balanced."""
    for _ in range(50):
        m = _WRAPPERS.search(text)
        if not m:
            break
        open_pos = m.end() - 1
        depth, i = 0, open_pos
        while i < len(text):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        if i >= len(text):
            break
        text = text[: m.start()] + text[open_pos + 1 : i] + text[i + 1 :]
    return text


@dataclass
class Norm:
    text: str  # normalised LaTeX-ish text
    percent: bool = False
    degree: bool = False


def normalize(raw: str, strip_units: bool = True) -> Norm:
    s = raw.strip()
    # math delimiters
    for _ in range(3):
        s = s.strip()
        if s.startswith("$$") and s.endswith("$$") and len(s) >= 4:
            s = s[2:-2]
        elif s.startswith("$") and s.endswith("$") and len(s) >= 2:
            s = s[1:-1]
        elif (s.startswith("\\(") and s.endswith("\\)")) or (s.startswith("\\[") and s.endswith("\\]")):
            s = s[2:-2]
    s = s.replace("\\$", "").replace("$", "")
    s = _THIN_THOUSANDS.sub("", s)
    s = re.sub(r"\\varnothing|∅|\\\{\s*\\\}|\\O(?![A-Za-z])", r"\\emptyset", s)
    if strip_units:
        s = _UNIT_TAIL.sub("", s)
    s = _unwrap(s)
    s = _NOISE.sub("", s)
    s = re.sub(r"\\[dtc]frac", r"\\frac", s)
    s = re.sub(r"(?<!\\)\\[, ]", " ", s).replace("~", " ")
    degree = False
    if _DEGREE.search(s):
        degree = True
        s = _DEGREE.sub("", s)
    percent = False
    if re.search(r"\\?%\s*$", s):
        percent = True
        s = re.sub(r"\\?%\s*$", "", s)
    s = s.strip()
    s = re.sub(r"[.。]+$", "", s).strip()  # trailing full stop (not a decimal point: digits follow those)
    s = re.sub(r"\s+", " ", s)
    if _COMMA_NUMBER.match(s):
        s = s.replace(",", "")
    if strip_units:
        s = _UNIT_TAIL.sub("", s).strip()
    return Norm(s, percent, degree)


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def text_key(text: str) -> str:
    """Loose key for text answers: case, spaces, braces and punctuation ignored."""
    t = text.lower()
    t = re.sub(r"\\[a-z]+", lambda m: m.group()[1:], t)
    t = re.sub(r"[\s{}()\[\]\"'`.,;:!?\\]+", "", t)
    return t


# ------------------------------------------------------------------------------------------------
# structure
# ------------------------------------------------------------------------------------------------
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
_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "=", "!=": "!="}
_LETTER = re.compile(r"^\(?([A-J])\)?(?:[.:)]\s*.*)?$", re.DOTALL)


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
    # matrices
    m = re.match(r"^\\begin\{([pbBvV]?matrix|array)\}(?:\{[^{}]*\})?(.*)\\end\{\1\}$", s, re.DOTALL)
    if m:
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
    if len(items) > 1:
        return ("set", tuple(parse_answer(p, depth + 1) for p in items if p.strip()))
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
        return ("rel", tuple(ops), tuple(_scalar(x) for x in sides))
    return _scalar(s)


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


# ------------------------------------------------------------------------------------------------
# comparison
# ------------------------------------------------------------------------------------------------
_DECIMAL = re.compile(r"^[-+]?(\d*)\.(\d+)$")


@dataclass
class Ctx:
    allow_slow: bool
    gold_percent: bool = False
    resp_percent: bool = False
    rel_tol: float = 1e-9


def values_equal(gold: tuple, resp: tuple, ctx: Ctx) -> bool:
    gk, rk = gold[0], resp[0]
    if gk == "empty" or rk == "empty":
        return False
    # x = 3 vs 3, and 3 vs x = 3: a single-symbol left-hand side names the unknown
    if gk == "rel" and rk != "rel" and gold[1] == ("=",) and _is_symbol(gold[2][0]):
        return values_equal(gold[2][1], resp, ctx)
    if rk == "rel" and gk != "rel" and resp[1] == ("=",) and _is_symbol(resp[2][0]):
        return values_equal(gold, resp[2][1], ctx)
    if rk == "rel" and gk != "rel" and len(resp[1]) > 1 and all(o == "=" for o in resp[1]):
        # "x = 2 + 1 = 3": the last side is the answer
        return values_equal(gold, resp[2][-1], ctx)
    if gk == "set" and rk != "set" and len(gold[1]) == 1:
        return values_equal(gold[1][0], resp, ctx)
    if rk == "set" and gk != "set" and len(resp[1]) == 1:
        return values_equal(gold, resp[1][0], ctx)
    if gk == "rel" and rk in ("pair", "union"):
        as_interval = _rel_to_interval(gold)
        if as_interval is not None:
            return values_equal(as_interval, resp, ctx)
    if rk == "rel" and gk in ("pair", "union"):
        as_interval = _rel_to_interval(resp)
        if as_interval is not None:
            return values_equal(gold, as_interval, ctx)
    if gk == "union" and rk == "pair":
        return values_equal(gold, ("union", (resp,)), ctx)
    if rk == "union" and gk == "pair":
        return values_equal(("union", (gold,)), resp, ctx)
    if gk == "tuple" and rk == "pair":
        resp = ("tuple", (resp[2], resp[3])) if resp[1] == "(" and resp[4] == ")" else resp
        rk = resp[0]
    if rk == "tuple" and gk == "pair":
        gold = ("tuple", (gold[2], gold[3])) if gold[1] == "(" and gold[4] == ")" else gold
        gk = gold[0]
    if gk != rk:
        if {gk, rk} <= {"expr", "text"}:
            return text_key(_raw(gold)) == text_key(_raw(resp))
        return False
    if gk == "text":
        return text_key(gold[1]) == text_key(resp[1])
    if gk == "expr":
        return scalars_equal(gold, resp, ctx)
    if gk == "pair":
        return (
            gold[1] == resp[1]
            and gold[4] == resp[4]
            and values_equal(gold[2], resp[2], ctx)
            and values_equal(gold[3], resp[3], ctx)
        )
    if gk == "tuple":
        return len(gold[1]) == len(resp[1]) and all(values_equal(a, b, ctx) for a, b in zip(gold[1], resp[1]))
    if gk == "matrix":
        return len(gold[1]) == len(resp[1]) and all(
            len(ga) == len(ra) and all(values_equal(a, b, ctx) for a, b in zip(ga, ra))
            for ga, ra in zip(gold[1], resp[1])
        )
    if gk in ("set", "union"):
        return _match_unordered(list(gold[1]), list(resp[1]), ctx)
    if gk == "rel":
        return relations_equal(gold, resp, ctx)
    return False


_INF = ("expr", ("const", "inf"), "\\infty")
_NEG_INF = ("expr", ("neg", ("const", "inf")), "-\\infty")


def _rel_to_interval(rel: tuple) -> tuple | None:
    """``x >= 3`` -> ``[3, oo)``; ``-3 < x < 2`` -> ``(-3, 2)``: one variable, strict/non-strict bounds."""
    ops, sides = rel[1], rel[2]
    if any(o not in ("<", "<=", ">", ">=") for o in ops):
        return None
    if len(ops) == 1:
        if _is_symbol(sides[0]):
            op, bound = ops[0], sides[1]
        elif _is_symbol(sides[1]):
            op, bound = _FLIP[ops[0]], sides[0]
        else:
            return None
        if op in (">", ">="):
            return ("pair", "[" if op == ">=" else "(", bound, _INF, ")")
        return ("pair", "(", _NEG_INF, bound, "]" if op == "<=" else ")")
    if len(ops) == 2 and _is_symbol(sides[1]):
        if ops[0] in ("<", "<=") and ops[1] in ("<", "<="):
            lo, hi, lop, hop = sides[0], sides[2], ops[0], ops[1]
        elif ops[0] in (">", ">=") and ops[1] in (">", ">="):
            lo, hi, lop, hop = sides[2], sides[0], _FLIP[ops[1]], _FLIP[ops[0]]
        else:
            return None
        return ("pair", "[" if lop == "<=" else "(", lo, hi, "]" if hop == "<=" else ")")
    return None


def _raw(value: tuple) -> str:
    if value[0] == "expr":
        return value[2]
    if value[0] == "text":
        return value[1]
    return repr(value)


def _is_symbol(value: tuple) -> bool:
    return value[0] == "expr" and value[1][0] == "sym"


def _match_unordered(gold: list, resp: list, ctx: Ctx) -> bool:
    if len(gold) != len(resp) or len(gold) > 64:
        return False
    remaining = list(resp)
    for g in gold:
        for i, r in enumerate(remaining):
            if values_equal(g, r, ctx):
                del remaining[i]
                break
        else:
            return False
    return True


def relations_equal(gold: tuple, resp: tuple, ctx: Ctx) -> bool:
    gops, gsides = gold[1], gold[2]
    rops, rsides = resp[1], resp[2]
    if len(gops) != len(rops):
        return False
    candidates = [(rops, rsides)]
    flipped = (tuple(_FLIP[o] for o in reversed(rops)), tuple(reversed(rsides)))
    candidates.append(flipped)
    for ops, sides in candidates:
        if ops == gops and all(values_equal(a, b, ctx) for a, b in zip(gsides, sides)):
            return True
    # one equation: same solution set when lhs - rhs differ by a non-zero constant factor
    if gops == ("=",) and rops == ("=",) and all(s[0] == "expr" for s in gsides + rsides):
        g = ("add", (gsides[0][1], ("neg", gsides[1][1])))
        r = ("add", (rsides[0][1], ("neg", rsides[1][1])))
        return _proportional(g, r)
    return False


def _proportional(a: L.Node, b: L.Node) -> bool:
    names = sorted(L.free_symbols(a) | L.free_symbols(b))
    if not names:
        return False
    ratio = None
    for k in range(4):
        env = {n: complex(0.37 + 0.61 * ((k * 7 + j * 3) % 11) / 11 + 0.13 * k, 0) for j, n in enumerate(names)}
        try:
            va, vb = L.eval_complex(a, env), L.eval_complex(b, env)
        except (L.ParseError, L.GuardError, ZeroDivisionError, OverflowError, ValueError, KeyError):
            return False
        if abs(vb) < 1e-12:
            if abs(va) > 1e-12:
                return False
            continue
        q = va / vb
        if ratio is None:
            if abs(q) < 1e-12:
                return False
            ratio = q
        elif abs(q - ratio) > 1e-9 * max(1.0, abs(ratio)):
            return False
    return ratio is not None


def scalars_equal(gold: tuple, resp: tuple, ctx: Ctx) -> bool:
    g_node, r_node = gold[1], resp[1]
    g_text, r_text = gold[2], resp[2]
    if compact(g_text) == compact(r_text):
        return True
    if L.has_const(g_node, "inf") or L.has_const(r_node, "inf"):
        return _inf_sign(g_node) is not None and _inf_sign(g_node) == _inf_sign(r_node)
    g_exact = L.eval_exact(g_node)
    r_exact = L.eval_exact(r_node)
    scales = [Fraction(1)]
    if ctx.resp_percent and not ctx.gold_percent:
        scales = [Fraction(1), Fraction(1, 100)]
    elif ctx.gold_percent and not ctx.resp_percent:
        scales = [Fraction(1), Fraction(100)]
    rdec = _DECIMAL.match(compact(r_text))
    gdec = _DECIMAL.match(compact(g_text))
    if g_exact is not None and r_exact is not None:
        if any(r_exact * sc == g_exact for sc in scales):
            return True
        # a rounded decimal for a non-terminating fraction (0.333 for 1/3), 3+ decimals
        if rdec and not _terminates(g_exact):
            return any(_rounds_to(complex(g_exact), complex(r_exact * sc), len(rdec.group(2))) for sc in scales)
        if gdec and not _terminates(r_exact):
            return any(_rounds_to(complex(r_exact * sc), complex(g_exact), len(gdec.group(2))) for sc in scales)
        return False
    names = sorted(L.free_symbols(g_node) | L.free_symbols(r_node))
    if not names:
        try:
            gv = L.eval_complex(g_node, {})
            rv = L.eval_complex(r_node, {})
        except L.GuardError:
            raise
        except (L.ParseError, ZeroDivisionError, OverflowError, ValueError):
            return _slow(gold, resp, ctx)
        for sc in scales:
            rvs = rv * float(sc)
            # a decimal literal against an irrational value: right when correctly rounded
            if rdec and g_exact is None:
                if _rounds_to(gv, rvs, len(rdec.group(2))):
                    return True
                continue
            if gdec and r_exact is None:
                if _rounds_to(rvs, gv, len(gdec.group(2))):
                    return True
                continue
            if _close(gv, rvs, ctx.rel_tol):
                return True
        return False
    # expressions in variables: compare at random points
    undecided = 0
    for k in range(3):
        env = {n: complex(0.53 + 0.9 * ((k * 5 + j * 3) % 7) / 7 + 0.11 * k, 0) for j, n in enumerate(names)}
        try:
            gv = L.eval_complex(g_node, env)
            rv = L.eval_complex(r_node, env)
        except L.GuardError:
            raise
        except (L.ParseError, ZeroDivisionError, OverflowError, ValueError):
            undecided += 1
            continue
        if not _close(gv, rv, ctx.rel_tol):
            return False
    if undecided == 3:
        return _slow(gold, resp, ctx)
    return True


def _inf_sign(node: L.Node) -> int | None:
    if node == ("const", "inf"):
        return 1
    if node[0] == "neg" and node[1] == ("const", "inf"):
        return -1
    if node[0] == "add" and len(node[1]) == 1:
        return _inf_sign(node[1][0])
    return None


def _close(a: complex, b: complex, rel: float) -> bool:
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def _terminates(x: Fraction) -> bool:
    d = x.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def _rounds_to(exact: complex, decimal: complex, places: int) -> bool:
    if abs(exact.imag) > 1e-12 or abs(decimal.imag) > 1e-12 or places < 3:
        return False
    return abs(exact.real - decimal.real) <= 0.5 * 10 ** (-places) * (1 + 1e-9)


def _slow(gold: tuple, resp: tuple, ctx: Ctx) -> bool:
    """Symbolic comparison with sympy: only in the time-limited worker."""
    if not ctx.allow_slow:
        raise NeedSlow()
    import sympy as sp

    a = L.to_sympy(gold[1])
    b = L.to_sympy(resp[1])
    diff = sp.simplify(a - b)
    return bool(diff == 0)


def answers_equal(gold_raw: str, resp_raw: str, allow_slow: bool = True) -> bool:
    """True if the two answers (already extracted) are equivalent."""
    g = normalize(gold_raw)
    r = normalize(resp_raw)
    if not r.text:
        return False
    if compact(g.text) == compact(r.text) and g.percent == r.percent:
        return True
    # multiple-choice letters
    gm = _LETTER.match(g.text)
    if gm and len(g.text) <= 4:
        rm = _LETTER.match(r.text)
        return bool(rm) and rm.group(1) == gm.group(1)
    ctx = Ctx(allow_slow=allow_slow, gold_percent=g.percent, resp_percent=r.percent)
    gv = parse_answer(g.text)
    rv = parse_answer(r.text)
    return values_equal(gv, rv, ctx)
