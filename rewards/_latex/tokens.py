"""LaTeX-ish answer text -> tokens (names of functions, Greek letters and commands to ignore)."""

from __future__ import annotations

import re

from .tree import MAX_EXPR_CHARS, GuardError, ParseError

# ------------------------------------------------------------------------------------------------
# tokenizer
# ------------------------------------------------------------------------------------------------
_FUNCS = {
    "sin",
    "cos",
    "tan",
    "cot",
    "sec",
    "csc",
    "arcsin",
    "arccos",
    "arctan",
    "sinh",
    "cosh",
    "tanh",
    "exp",
    "ln",
    "log",
    "lg",
}
_GREEK = {
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "varepsilon",
    "zeta",
    "eta",
    "theta",
    "vartheta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "rho",
    "sigma",
    "tau",
    "upsilon",
    "phi",
    "varphi",
    "chi",
    "psi",
    "omega",
    "Gamma",
    "Delta",
    "Theta",
    "Lambda",
    "Xi",
    "Sigma",
    "Phi",
    "Psi",
    "Omega",
}
_IGNORED_COMMANDS = {
    "left",
    "right",
    "big",
    "Big",
    "bigg",
    "Bigg",
    "bigl",
    "bigr",
    "Bigl",
    "Bigr",
    "displaystyle",
    "textstyle",
    "limits",
    "nolimits",
    ",",
    ";",
    ":",
    "!",
    " ",
    "quad",
    "qquad",
    "mathrm",
    "mathbf",
    "mathit",
    "text",
    "textbf",
    "textit",
    "textrm",
    "mbox",
    "operatorname",
    "boldsymbol",
    "mathbb",
}
_TOKEN_RE = re.compile(
    r"""
    (?P<num>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE]-?\d+(?![A-Za-z]))?)
  | (?P<cmd>\\(?:[A-Za-z]+|.))
  | (?P<word>[A-Za-z]+)
  | (?P<op>\*\*|[-+*/^_()\[\]{}|!,=<>])
  | (?P<space>\s+)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


def tokenize(text: str) -> list[tuple[str, str]]:
    if len(text) > MAX_EXPR_CHARS:
        raise GuardError(f"expression longer than {MAX_EXPR_CHARS} characters")
    tokens: list[tuple[str, str]] = []
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup
        value = m.group()
        if kind == "space":
            continue
        if kind == "cmd":
            name = value[1:]
            if name in _IGNORED_COMMANDS:
                continue
            if name in ("cdot", "times", "ast"):
                tokens.append(("op", "*"))
                continue
            if name == "div":
                tokens.append(("op", "/"))
                continue
            if name in ("{", "}"):
                tokens.append(("op", name))  # \{ \} only matter to set detection, done before parsing
                continue
            if name in ("lvert", "rvert", "vert", "mid"):
                tokens.append(("op", "|"))
                continue
            if name in ("dfrac", "tfrac", "cfrac"):
                name = "frac"
            tokens.append(("cmd", name))
        elif kind == "other":
            if value in "°":
                tokens.append(("cmd", "circ"))
            elif value == "π":
                tokens.append(("cmd", "pi"))
            elif value == "√":
                tokens.append(("cmd", "sqrt"))
            elif value in "·×":
                tokens.append(("op", "*"))
            elif value in "−–":
                tokens.append(("op", "-"))
            elif value == "÷":
                tokens.append(("op", "/"))
            elif value == "'":
                tokens.append(("op", "'"))
            else:
                raise ParseError(f"unexpected character {value!r}")
        else:
            tokens.append((kind, value))
    return tokens
