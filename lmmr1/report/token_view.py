"""``lmmr1 view``'s token view: sampled responses with every token coloured by its probability or by the
entropy of the policy's distribution at that position, values on hover, and the reasoning steps as a graph.

Source: ``STAGE/tokens.jsonl`` (lmmr1.verl.token_log, written by the trainer: the first ``log_tokens``
responses of each step, with each token's log-probability and entropy under the weights that sampled it).
"""

from __future__ import annotations

import html
import math
from typing import Any

from lmmr1.jsonl import read_jsonl
from lmmr1.run.layout import RunPaths

from .reasoning import Step, reasoning_steps, steps_svg

# entropy (nats) at which the colour saturates; the tiny models' flat distributions sit near log(vocab)
ENTROPY_SCALE = 4.0


def token_rows(run: Any, stage: str) -> list[dict[str, Any]]:
    """The stage's logged responses whose token, log-prob and entropy lists line up; any other line is left out
    and named in ``run.problems`` (shown by ``lmmr1 view``), as the run's other files are."""
    path = RunPaths(run.path).stage(stage).tokens
    problems = getattr(run, "problems", None)
    rows = []
    for k, row in enumerate(read_jsonl(path, problems), start=1):
        tokens, logprob, entropy = (row.get(key) for key in ("tokens", "logprob", "entropy"))
        lists = all(isinstance(x, list) for x in (tokens, logprob, entropy))
        numbers = lists and all(isinstance(v, (int, float)) for v in [*logprob, *entropy])
        if not (numbers and len(tokens) == len(logprob) == len(entropy)):
            if problems is not None:
                shape = (
                    f"{len(tokens)} tokens, {len(logprob)} log-probs, {len(entropy)} entropies"
                    if lists
                    else "fields missing"
                )
                problems.append(f"{path}: logged response {k} (step {row.get('step')}): {shape} (left out)")
            continue
        rows.append(row)
    return rows


def _span(token: str, logprob: float, entropy: float, sampled: int = 1) -> str:
    if not sampled:  # the environment's text between turns: not the policy's choice, shown uncoloured
        return f"<span class='tok env' title='from the environment (not sampled)'>{html.escape(token)}</span>"
    p = math.exp(logprob)
    # the colours are set by the page's script from data-p and data-h (red: unlikely token, blue: uncertain
    # position; the switch picks one): 50,000 tokens stay a few MB of HTML
    return (
        f"<span class='tok' data-p='{p:.4f}' data-h='{entropy:.4f}' title='p={p:.3f} · H={entropy:.3f} nats'>"
        f"{html.escape(token)}</span>"
    )


def response_steps(tokens: list[str], policy: list[int]) -> list[Step]:
    """The steps drawn beside a response: a multi-turn agent's turns (the policy's own text between the
    environment's insertions), else the steps read from its text (lmmr1.report.reasoning)."""
    turns: list[str] = []
    current: list[str] = []
    for token, sampled in zip(tokens, policy):
        if sampled:
            current.append(token)
        elif current:
            turns.append("".join(current))
            current = []
    if current:
        turns.append("".join(current))
    if len(turns) > 1 or (turns and not all(policy)):
        return [Step(f"Turn {k + 1}", text.strip()) for k, text in enumerate(turns)]
    return reasoning_steps("".join(tokens))


def token_sections(run: Any, max_responses: int = 12) -> str:
    """The newest ``max_responses`` logged responses of each stage, tokens coloured, steps drawn beside them."""
    parts = []
    for stage in run.stages:
        rows = token_rows(run, stage.name)
        if not rows:
            continue
        shown = rows[-max_responses:]
        parts.append(f"<h3>{html.escape(stage.name)}: the newest {len(shown)} of {len(rows)} logged responses</h3>")
        for row in shown:
            tokens = row.get("tokens") or []
            policy = row.get("policy") or [1] * len(tokens)
            values = zip(tokens, row.get("logprob", []), row.get("entropy", []), policy)
            spans = "".join(_span(t, lp, h, k) for t, lp, h, k in values)
            sampled = [h for h, k in zip(row.get("entropy", []), policy) if k]
            mean_h = sum(sampled) / max(len(sampled), 1)
            env = len(tokens) - len(sampled)
            env_note = f" · {env} from the environment (grey)" if env else ""
            graph = steps_svg(response_steps(tokens, policy))
            parts.append(
                "<div class='tokrow'><div class='tokmeta'>"
                f"step {html.escape(str(row.get('step')))} · {len(tokens)} tokens · mean entropy {mean_h:.2f}"
                f"{env_note}</div>"
                f"<div class='tokpair'><div class='tokens'>{spans}</div>{graph}</div></div>"
            )
    if not parts:
        return ""
    switch = (
        "<p><label>colour by <select id='tokcolour'><option value='p'>probability (red: unlikely)</option>"
        "<option value='h'>entropy (blue: uncertain)</option></select></label></p>"
    )
    return "<h2>Tokens and reasoning steps</h2>" + switch + "".join(parts)


TOKEN_STYLE = """
.tokens { font-family: monospace; white-space: pre-wrap; flex: 1; }
.tok { background: var(--by-p); }
body.by-h .tok { background: var(--by-h); }
.tok.env { background: none; color: #888; font-style: italic; }
.tokpair { display: flex; gap: 1em; align-items: flex-start; }
.tokrow { border-top: 1px solid #ddd; padding: .4em 0; }
.tokmeta { color: #555; font-size: 90%; }
svg.steps rect { fill: #f4f6fb; stroke: #5b6b8c; }
svg.steps text { font: 11px sans-serif; fill: #222; }
svg.steps text.label { font-weight: bold; }
svg.steps .edge { stroke: #5b6b8c; fill: none; }
"""

TOKEN_SCRIPT = """
(function () {
  for (const el of document.querySelectorAll('.tok[data-p]')) {
    const unlikely = Math.min(1, Math.max(0, 1 - Number(el.dataset.p)));
    const uncertain = Math.min(1, Math.max(0, Number(el.dataset.h) / {ENTROPY_SCALE}));
    el.style.setProperty('--by-p', 'rgba(220,40,40,' + unlikely.toFixed(3) + ')');
    el.style.setProperty('--by-h', 'rgba(40,90,220,' + uncertain.toFixed(3) + ')');
  }
  const pick = document.getElementById('tokcolour');
  if (pick) pick.addEventListener('change', () => document.body.classList.toggle('by-h', pick.value === 'h'));
})();
""".replace("{ENTROPY_SCALE}", repr(ENTROPY_SCALE))
