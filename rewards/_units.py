"""Units at the end of an answer: what they are, and the factor between two of them.

Normalisation cuts a unit off an answer (``5 \\text{ km}`` -> ``5``) so that ``5`` and ``5 km`` agree when
one side has no unit. Two answers that *both* name a unit must agree on it: ``5 km`` is not ``5 m``.
Units of the same quantity are converted (``5 km`` = ``5000 m``, ``3 hours`` = ``180 minutes``); units
this table does not know (``apples``, ``ways``, ``square units``) are not compared: a word the table
lacks is as likely a description (``5 people`` vs ``5 students``) as a unit.
"""

from __future__ import annotations

import re
from fractions import Fraction

# canonical name -> (quantity, factor to the quantity's base unit); powers are handled by ``unit_of``
_BASE: dict[str, tuple[str, Fraction]] = {
    "mm": ("length", Fraction(1, 1000)),
    "cm": ("length", Fraction(1, 100)),
    "m": ("length", Fraction(1)),
    "km": ("length", Fraction(1000)),
    "in": ("length", Fraction(254, 10000)),
    "ft": ("length", Fraction(3048, 10000)),
    "yd": ("length", Fraction(9144, 10000)),
    "mi": ("length", Fraction(1609344, 1000)),
    "mg": ("mass", Fraction(1, 1000)),
    "g": ("mass", Fraction(1)),
    "kg": ("mass", Fraction(1000)),
    "lb": ("mass", Fraction(45359237, 100000)),
    "oz": ("mass", Fraction(45359237, 1600000)),
    "s": ("time", Fraction(1)),
    "min": ("time", Fraction(60)),
    "h": ("time", Fraction(3600)),
    "day": ("time", Fraction(86400)),
    "week": ("time", Fraction(604800)),
    "ml": ("volume", Fraction(1, 1000)),
    "l": ("volume", Fraction(1)),
    "dollar": ("money", Fraction(1)),
    "cent": ("money", Fraction(1, 100)),
    "km/h": ("speed", Fraction(1000, 3600)),
    "m/s": ("speed", Fraction(1)),
    "mph": ("speed", Fraction(1609344, 3600000)),
}
_SYNONYMS = {
    "millimeter": "mm",
    "millimetre": "mm",
    "centimeter": "cm",
    "centimetre": "cm",
    "meter": "m",
    "metre": "m",
    "kilometer": "km",
    "kilometre": "km",
    "inch": "in",
    "inches": "in",
    "foot": "ft",
    "feet": "ft",
    "yard": "yd",
    "mile": "mi",
    "milligram": "mg",
    "gram": "g",
    "kilogram": "kg",
    "pound": "lb",
    "lbs": "lb",
    "ounce": "oz",
    "ounces": "oz",
    "sec": "s",
    "second": "s",
    "minute": "min",
    "hr": "h",
    "hour": "h",
    "d": "day",
    "milliliter": "ml",
    "millilitre": "ml",
    "liter": "l",
    "litre": "l",
    "cents": "cent",
    "kph": "km/h",
    "kmh": "km/h",
}
_POWER_WORDS = {"square": 2, "sq": 2, "cubic": 3}


def _singular(word: str) -> str:
    if word in _BASE or word in _SYNONYMS:
        return word
    if len(word) > 3 and word.endswith("es") and word[:-2] in _SYNONYMS:
        return word[:-2]
    if len(word) > 2 and word.endswith("s"):
        return word[:-1]
    return word


def clean(unit_text: str) -> str:
    """``\\text{ cm}^{2}`` -> ``cm^2``; ``Square Meters.`` -> ``square meters``."""
    t = re.sub(r"\\(?:text|mbox|mathrm|textrm|textnormal)\s*", "", unit_text)
    t = t.replace("{", "").replace("}", "").replace("\\", "")
    t = re.sub(r"\s+", " ", t).strip().rstrip(".").strip().lower()
    return t


def unit_of(unit_text: str) -> tuple[str, int, Fraction] | tuple[str, None, None]:
    """(quantity, power, factor) for a known unit, else (cleaned name, None, None)."""
    t = clean(unit_text)
    power = 1
    words = t.split()
    if len(words) == 2 and words[0] in _POWER_WORDS:
        power, t = _POWER_WORDS[words[0]], words[1]
    m = re.fullmatch(r"(.+?)\s*\^\s*(\d)", t)
    if m:
        t, power = m.group(1), int(m.group(2))
    name = _singular(t)
    name = _SYNONYMS.get(name, name)
    if name not in _BASE:
        return (name, None, None)
    quantity, factor = _BASE[name]
    return (quantity, power, factor**power)


def conversion(gold_unit: str | None, resp_unit: str | None) -> Fraction | None:
    """Factor that turns the response's number into the gold's unit; None when they cannot agree.

    No unit on either side: 1 (the unit may be left out). Both known and of the same quantity and power:
    the ratio of their factors. Anything else (a name the table lacks on either side): 1.
    """
    if not gold_unit or not resp_unit:
        return Fraction(1)
    g, r = unit_of(gold_unit), unit_of(resp_unit)
    if g[1] is not None and r[1] is not None:
        if g[0] != r[0] or g[1] != r[1]:
            return None
        return r[2] / g[2]
    return Fraction(1)
