"""Equivalence of two final answers (the model's and the gold one).

Layers, cheapest first:

1. normalisation (``_normalize``): equal canonical texts are equal answers; a unit on both sides must
   agree or convert (``_units``);
2. structure (``_structure.parse_answer``): relations, intervals and unions, sets and bare lists
   (unordered, repeats ignored), tuples and vectors (ordered), matrices, multiple-choice letters, text;
3. scalar values: exact rational arithmetic (``Fraction``), then complex evaluation at random points for
   expressions with variables, all in-process and bounded by the parser's guards;
4. only when 3 cannot decide (domain errors, overflow): sympy, built from the tree by constructors. This
   is the *slow path*; callers that must not block pass ``allow_slow=False`` and get ``NeedSlow``;
5. only when our parser could not read one side as mathematics (``2\\begin{pmatrix}...``, a matrix
   product) and the comparison therefore could not decide: math-verify, in the same worker. A pair this
   module decided "not equal" with both sides read never reaches it.

Leniencies, each deliberate: a label on one side (``x = 3``, ``|AB| = 1``, ``(p, q) = (3, 2)``) is
dropped; a unit may be left out on one side; a decimal with at least three significant digits equals
the irrational or non-terminating value it rounds to (``3.14`` for ``\\pi``, ``0.333`` for 1/3); a decimal
comma is read as a decimal point only when the gold is one number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from . import _latex as L
from . import _units
from ._normalize import compact, decimal_comma, normalize, text_key
from ._structure import FLIP, LETTER, parse_answer
from .contract import NeedSlow  # numeric checks could not decide: symbolic comparison (time-limited) needed

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
    unit_scale: Fraction = Fraction(1)  # response value x this = value in the gold's unit
    undecided: bool = False  # set when a side could not be read as mathematics
    approximate: bool = True  # a correctly rounded decimal equals the value it rounds


def values_equal(gold: tuple, resp: tuple, ctx: Ctx) -> bool:
    gk, rk = gold[0], resp[0]
    if gk == "empty" or rk == "empty":
        return False
    # x = 3 vs 3, |AB| = 1 vs 1, (p, q) = (3, 2) vs (3, 2): a label on the left names the unknown
    if gk == "rel" and rk != "rel" and gold[1] == ("=",) and _is_label(gold[2][0]):
        return values_equal(gold[2][1], resp, ctx)
    if rk == "rel" and gk != "rel" and resp[1] == ("=",) and _is_label(resp[2][0]):
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
        if _unread_math(gold) or _unread_math(resp):
            ctx.undecided = True
        if {gk, rk} <= {"expr", "text"}:
            return text_key(_raw(gold)) == text_key(_raw(resp))
        return False
    if gk == "text":
        if text_key(gold[1]) == text_key(resp[1]):
            return True
        if _unread_math(gold) or _unread_math(resp):
            ctx.undecided = True
        return False
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
        if _is_symbol(sides[0]) and not _has_symbols(sides[1]):
            op, bound = ops[0], sides[1]
        elif _is_symbol(sides[1]) and not _has_symbols(sides[0]):
            op, bound = FLIP[ops[0]], sides[0]
        else:
            solved = _solve_linear(sides[0], sides[1])
            if solved is None:
                return None
            slope, root = solved
            op = ops[0] if slope > 0 else FLIP[ops[0]]
            bound = ("expr", ("num", root), str(root))
        if op in (">", ">="):
            return ("pair", "[" if op == ">=" else "(", bound, _INF, ")")
        return ("pair", "(", _NEG_INF, bound, "]" if op == "<=" else ")")
    if len(ops) == 2 and _is_symbol(sides[1]):
        if ops[0] in ("<", "<=") and ops[1] in ("<", "<="):
            lo, hi, lop, hop = sides[0], sides[2], ops[0], ops[1]
        elif ops[0] in (">", ">=") and ops[1] in (">", ">="):
            lo, hi, lop, hop = sides[2], sides[0], FLIP[ops[1]], FLIP[ops[0]]
        else:
            return None
        return ("pair", "[" if lop == "<=" else "(", lo, hi, "]" if hop == "<=" else ")")
    return None


def _has_symbols(value: tuple) -> bool:
    return value[0] != "expr" or bool(L.free_symbols(value[1]))


def _substitute(node: L.Node, name: str, value: L.Node) -> L.Node:
    if node == ("sym", name):
        return value
    return tuple(_substitute(c, name, value) if isinstance(c, tuple) else c for c in node)


def _solve_linear(lhs: tuple, rhs: tuple) -> tuple[Fraction, Fraction] | None:
    """(slope, root) of ``lhs - rhs`` when it is linear in its one variable with rational coefficients."""
    if lhs[0] != "expr" or rhs[0] != "expr":
        return None
    f = ("add", (lhs[1], ("neg", rhs[1])))
    names = L.free_symbols(f)
    if len(names) != 1:
        return None
    (name,) = names
    try:
        v0, v1, v2 = (L.eval_exact(_substitute(f, name, ("num", Fraction(k)))) for k in (0, 1, 2))
    except (L.ParseError, ZeroDivisionError, OverflowError, ValueError):
        return None
    if v0 is None or v1 is None or v2 is None:
        return None
    slope = v1 - v0
    if slope == 0 or v2 - v1 != slope:
        return None
    # linear through three points is not proof for every expression (|x|, x^3 - 3x^2 + 2x): check two more
    for k in (Fraction(-3, 2), Fraction(7, 3)):
        try:
            v = L.eval_exact(_substitute(f, name, ("num", k)))
        except (L.ParseError, ZeroDivisionError, OverflowError, ValueError):
            return None
        if v is None or v != v0 + slope * k:
            return None
    return slope, -v0 / slope


def _raw(value: tuple) -> str:
    if value[0] == "expr":
        return value[2]
    if value[0] == "text":
        return value[1]
    return repr(value)


def _is_symbol(value: tuple) -> bool:
    return value[0] == "expr" and value[1][0] == "sym"


_TEXT_LABEL = re.compile(r"(?:m?\\angle\s*)?(?:\\overline\s*\{)?[A-Za-z]{1,4}\}?")
_SUBSCRIPT = re.compile(r"_\s*(?:\{[^{}]*\}|\w)")


def _is_label(value: tuple) -> bool:
    """A name for the answer rather than part of it: ``x``, ``a_{10}``, ``|AB|``, ``\\frac{NO}{BO}``, ``(p, q)``.

    A label has no number outside its subscripts and no ``+`` or ``-``: ``x + y = 1`` and ``2x = 4`` are
    equations, not labelled values.
    """
    if value[0] == "pair":
        return value[1] == "(" and value[4] == ")" and _is_symbol(value[2]) and _is_symbol(value[3])
    if value[0] == "tuple":
        return all(_is_symbol(v) for v in value[1])
    if value[0] == "text":  # AB, \\angle ABC, \\overline{AB}
        return bool(_TEXT_LABEL.fullmatch(value[1].strip()))
    if value[0] != "expr":
        return False
    text = _SUBSCRIPT.sub("", value[2])
    return bool(L.free_symbols(value[1])) and not re.search(r"[\d+\-]", text)


def _unread_math(value: tuple) -> bool:
    """A side the parser kept as text although it is mathematics it cannot read: matrix expressions."""
    return value[0] == "text" and "\\begin{" in value[1]


def _match_unordered(gold: list, resp: list, ctx: Ctx) -> bool:
    """Same set of values: each gold item is in the response and each response item in the gold.

    A repeated item (``\\{1, 1, 2\\}``) is the same set as without the repeat, as in mathematics."""
    if len(gold) > 64 or len(resp) > 64:
        return False
    matched_resp = [False] * len(resp)
    for g in gold:
        found = False
        for i, r in enumerate(resp):
            if values_equal(g, r, ctx):
                matched_resp[i] = found = True
        if not found:
            return False
    return all(matched_resp)


def relations_equal(gold: tuple, resp: tuple, ctx: Ctx) -> bool:
    gops, gsides = gold[1], gold[2]
    rops, rsides = resp[1], resp[2]
    if len(gops) != len(rops):
        return False
    candidates = [(rops, rsides)]
    flipped = (tuple(FLIP[o] for o in reversed(rops)), tuple(reversed(rsides)))
    candidates.append(flipped)
    for ops, sides in candidates:
        if ops == gops and all(values_equal(a, b, ctx) for a, b in zip(gsides, sides)):
            return True
    # inequalities in one variable: the same solution interval (-x > -1 and x < 1)
    g_interval, r_interval = _rel_to_interval(gold), _rel_to_interval(resp)
    if g_interval is not None and r_interval is not None:
        return values_equal(g_interval, r_interval, ctx)
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
    if compact(g_text) == compact(r_text) and ctx.unit_scale == 1:
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
    scales = [sc * ctx.unit_scale for sc in scales]
    rdec = _DECIMAL.match(compact(r_text)) if ctx.approximate else None
    gdec = _DECIMAL.match(compact(g_text)) if ctx.approximate else None
    if g_exact is not None and r_exact is not None:
        if any(r_exact * sc == g_exact for sc in scales):
            return True
        # a rounded decimal for a non-terminating fraction (0.333 for 1/3)
        if rdec and not _terminates(g_exact):
            return any(_rounds_to(complex(g_exact), complex(r_exact * sc), rdec) for sc in scales)
        if gdec and not _terminates(r_exact):
            return any(_rounds_to(complex(r_exact * sc), complex(g_exact), gdec) for sc in scales)
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
                if _rounds_to(gv, rvs, rdec):
                    return True
                continue
            if gdec and r_exact is None:
                if _rounds_to(rvs, gv, gdec):
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


def _rounds_to(exact: complex, decimal: complex, literal: re.Match) -> bool:
    """``decimal`` (written as ``literal``) is ``exact`` correctly rounded, to a precision worth trusting.

    The literal needs at least two decimal places and three significant digits: ``3.14`` for pi and
    ``0.333`` for 1/3 count, ``1.4`` for sqrt(2) and ``0.33`` for 1/3 do not (too coarse to tell a right
    value from a near one).
    """
    places = len(literal.group(2))
    significant = len((literal.group(1) + literal.group(2)).lstrip("0"))
    if abs(exact.imag) > 1e-12 or abs(decimal.imag) > 1e-12 or places < 2 or significant < 3:
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


def answers_equal(
    gold_raw: str, resp_raw: str, allow_slow: bool = True, math_verify: bool = True, approximate: bool = True
) -> bool:
    """True if the two answers (already extracted) are equivalent.

    ``approximate``: a decimal rounding an irrational or non-terminating value counts (``3.14`` for pi);
    off where the question asks for an exact or simplest form.

    ``math_verify``: consult math-verify for the pairs our parser could not read (see the module
    docstring); it needs the slow path, so without ``allow_slow`` such a pair raises ``NeedSlow``.
    """
    g = normalize(gold_raw)
    r = normalize(resp_raw)
    if not r.text:
        return False
    unit_scale = _units.conversion(g.unit, r.unit)
    if unit_scale is None:
        return False  # 5 km vs 5 s, 5 cm^2 vs 5 cm
    if unit_scale == 1 and compact(g.text) == compact(r.text) and g.percent == r.percent:
        return True
    # multiple-choice letters
    gm = LETTER.match(g.text)
    if gm and len(g.text) <= 4:
        rm = LETTER.match(r.text)
        return bool(rm) and rm.group(1) == gm.group(1)
    ctx = Ctx(
        allow_slow=allow_slow,
        gold_percent=g.percent,
        resp_percent=r.percent,
        unit_scale=unit_scale,
        approximate=approximate,
    )
    gv = parse_answer(g.text)
    rv = parse_answer(r.text)
    if values_equal(gv, rv, ctx):
        return True
    if gv[0] == "expr":
        as_decimal = decimal_comma(r.text)  # "2,5" for 2.5, only against a single number
        if as_decimal is not None and values_equal(gv, parse_answer(as_decimal), ctx):
            return True
    if ctx.undecided and math_verify and unit_scale == 1:
        if not allow_slow:
            raise NeedSlow()
        from ._peer import math_verify_equal

        return math_verify_equal(gold_raw, resp_raw)
    return False
