"""Normalisation rules: the text of one extracted answer -> a canonical text plus what was cut off.

Each rule removes a way of *writing* an answer that does not change its value: math delimiters,
``\\text{}`` wrappers, sizing commands, thousands separators (``1,000``, ``1\\,000``, ``1,\\! 000``), a
trailing full stop, degree signs and percent signs (recorded, since ``50\\%`` = ``0.5``), and a trailing
unit (recorded, since ``5 km`` is not ``5 m``; see ``_units``). Number forms are rewritten to the form
the parser reads: the LaTeX decimal comma ``2{,}5`` and mixed numbers ``2\\frac{1}{2}`` (= 5/2).
Relation spellings are unified: ``\\lt`` ``\\gt`` ``\\leqslant`` ``\\geqslant``; ``\\approx`` is read as ``=``
(a rounded value is then judged by the rounding rule of ``_equiv``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNIT_WORDS = (
    "cm|mm|km|m|kg|mg|g|s|sec|secs|second|seconds|min|mins|minute|minutes|h|hr|hrs|hour|hours|day|days|"
    "week|weeks|month|months|year|years|degree|degrees|deg|unit|units|dollar|dollars|cent|cents|meter|"
    "meters|metre|metres|foot|feet|ft|inch|inches|mile|miles|mph|yard|yards|l|ml|liter|liters|litre|"
    "litres|people|students|cm\\^2|cm\\^3|m\\^2|m\\^3|km/h|m/s|square|sq|cubic|radians|rad|pounds|lbs|oz|"
    "ounces|gallons|apples|points|ways|times|percent|kilometers|kilometres|kilograms|grams|centimeters|"
    "centimetres|millimeters|millimetres"
)
_TEXT_COMMANDS = r"text|mbox|mathrm|textrm|textnormal"
_UNIT_TAIL = re.compile(
    r"(?<=[\d}])(?:\s*\\(?:" + _TEXT_COMMANDS + r")\s*\{[^{}]*\}(?:\^\{?\d\}?)?)+\s*$"
    r"|(?<=[\d}])\s*(?:(?:" + _UNIT_WORDS + r")(?:\^\{?\d\}?)?\.?\s*)+$"
    r"|(?<=[\d}])\s+[A-Za-z]{3,}(?:\s+[A-Za-z]{3,})?\.?\s*$"
)
_WRAPPERS = re.compile(
    r"\\(?:text|mbox|mathrm|textrm|textnormal|textbf|mathbf|mathit|textit|operatorname|boldsymbol)\s*\{"
)
_NOISE = re.compile(
    r"\\(?:left|right|big|Big|bigg|Bigg|bigl|bigr|Bigl|Bigr|displaystyle|textstyle|!|;|:|quad|qquad)(?![A-Za-z])"
)
_DEGREE = re.compile(r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|°|\\degree|\\circ")
_COMMA_BANG_THOUSANDS = re.compile(r"(?<=\d),\s*\\!\s*(?=\d{3}(?!\d))")
_THIN_THOUSANDS = re.compile(r"(?<=\d)(?:\\,|\{,\}|\\ |\u2009|\u202f|\u00a0|\\thinspace\s*)(?=\d{3}(?!\d))")
_BRACED_DECIMAL_COMMA = re.compile(r"(?<=\d)\{,\}(?=\d)")
_COMMA_NUMBER = re.compile(r"^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_RELATION_SPELLINGS = [
    (re.compile(r"\\lt(?![A-Za-z])"), "<"),
    (re.compile(r"\\gt(?![A-Za-z])"), ">"),
    (re.compile(r"\\leqslant(?![A-Za-z])|\\leqq(?![A-Za-z])|≤"), "\\le "),
    (re.compile(r"\\geqslant(?![A-Za-z])|\\geqq(?![A-Za-z])|≥"), "\\ge "),
    (re.compile(r"\\approx(?![A-Za-z])|≈|\\simeq(?![A-Za-z])"), "="),
]
_MIXED_NUMBER = re.compile(r"^([-+]?)(\d+)\s*\\frac\s*(?:\{\s*(\d+)\s*\}|(\d))\s*(?:\{\s*(\d+)\s*\}|(\d))$")


def unwrap(text: str) -> str:
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
    unit: str | None = None  # the unit cut off the end, as written (``\\text{ km}``, ``minutes``)


def _cut_unit(s: str, unit: str | None) -> tuple[str, str | None]:
    m = _UNIT_TAIL.search(s)
    if not m:
        return s, unit
    return s[: m.start()], (m.group() + " " + unit if unit else m.group())


def mixed_number(s: str) -> str:
    """``2\\frac{1}{2}`` -> ``\\frac{5}{2}`` when the fraction is proper (otherwise it is a product)."""
    m = _MIXED_NUMBER.match(s)
    if not m:
        return s
    sign, whole = m.group(1), int(m.group(2))
    num, den = int(m.group(3) or m.group(4)), int(m.group(5) or m.group(6))
    if den == 0 or num >= den:
        return s
    return f"{'-' if sign == '-' else ''}\\frac{{{whole * den + num}}}{{{den}}}"


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
    s = _COMMA_BANG_THOUSANDS.sub(",", s)
    s = _THIN_THOUSANDS.sub("", s)
    s = _BRACED_DECIMAL_COMMA.sub(".", s)
    s = re.sub(r"\\varnothing|∅|\\\{\s*\\\}|\\O(?![A-Za-z])", r"\\emptyset", s)
    for pattern, replacement in _RELATION_SPELLINGS:
        s = pattern.sub(lambda _m, text=replacement: text, s)
    unit = None
    if strip_units:
        s, unit = _cut_unit(s, unit)
    s = unwrap(s)
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
    s = re.sub(r"^=\s*", "", s)  # "\approx 3.14" -> "= 3.14" -> "3.14"
    if _COMMA_NUMBER.match(s):
        s = s.replace(",", "")
    if strip_units:
        s, unit = _cut_unit(s, unit)
        s = s.strip()
    s = mixed_number(s)
    return Norm(s, percent, degree, unit)


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def text_key(text: str) -> str:
    """Loose key for text answers: case, spaces, braces and punctuation ignored."""
    t = text.lower()
    t = re.sub(r"\\[a-z]+", lambda m: m.group()[1:], t)
    t = re.sub(r"[\s{}()\[\]\"'`.,;:!?\\]+", "", t)
    return t


_DECIMAL_COMMA = re.compile(r"^([-+]?\d+),(\d+)$")


def decimal_comma(text: str) -> str | None:
    """``2,5`` -> ``2.5`` (European decimal comma), or None. ``1,500`` stays a thousands separator."""
    m = _DECIMAL_COMMA.match(text.strip())
    if not m or len(m.group(2)) == 3:
        return None
    return f"{m.group(1)}.{m.group(2)}"
