"""One self-contained HTML page for a run (``lmmr1 view``): manifest, curves, evaluation, rollout browser.

Self-contained means no server and no network: styles and script are inline, figures are PNG data URIs,
and the scored responses are embedded as one JSON block the page's script pages through (50 rows a page,
filtered by stage, step, data source, reward and text), so a page with 100,000 rows builds the DOM for
50 at a time. Each response shows its ``<think>`` and ``<answer>`` parts apart, with the extracted answer,
the gold answer, the reward's components and any error reason, under the question it answered and, for
a multimodal prompt, a thumbnail of its image (looked up in the stage's data files by ``extra_info.id``).

Row source: ``STAGE/reward_rows.jsonl`` (``log_responses`` characters of each response are kept there).
"""

from __future__ import annotations

import base64
import html
import json
import tempfile
from pathlib import Path
from typing import Any, Optional

from lmmr1.run.layout import RewardRow

from .run_dir import RunView, reward_rows
from .token_view import TOKEN_SCRIPT, TOKEN_STYLE, token_sections

# fields of a row shown in their own columns (RewardRow's named fields, and where the reader placed it)
_RESERVED = {*RewardRow.NAMED, "step", "stage"}
THUMBNAIL_PX = 320


def _img(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _answer_of(response: str) -> Optional[str]:
    from lmmr1.rewards._extract import extract_answer

    try:
        answer, _ = extract_answer(response)
    except Exception:  # a display helper: an odd response shows no extracted answer, never fails the page
        return None
    return answer


def _question(messages: Any) -> str:
    """The last user turn's text (the question), from a chat prompt as verl's datasets store it."""
    if hasattr(messages, "tolist"):
        messages = messages.tolist()
    for message in reversed(list(messages or [])):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                content = " ".join(str(c.get("text", "")) for c in content if isinstance(c, dict))
            return str(content or "")
    return ""


def _thumbnail(image: Any) -> Optional[str]:
    """A JPEG data URI of at most THUMBNAIL_PX pixels a side, from a dataset's image cell."""
    import io

    from PIL import Image

    data = image.get("bytes") if isinstance(image, dict) else image
    if not isinstance(data, (bytes, bytearray)):
        return None
    try:
        with Image.open(io.BytesIO(data)) as img:
            img = img.convert("RGB")
            img.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
            out = io.BytesIO()
            img.save(out, format="JPEG", quality=75)
    except Exception:  # an unreadable image shows no thumbnail; the row is still shown
        return None
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def prompts_for(run: RunView, wanted: set[tuple[str, str]], max_images: int) -> dict[tuple[str, str], list[str]]:
    """``{(data_source, id): [question, image data URI or ""]}`` from each stage's recorded data files.

    Reads only the parquet rows whose ``(data_source, extra_info.id)`` a scored response names; at most
    ``max_images`` images are embedded (the questions always are)."""
    import pyarrow.parquet as pq

    files: list[str] = []
    for stage in run.stages:
        settings = stage.record.get("settings") or {}
        for key in ("data.train_files", "data.val_files"):
            files += [f for f in settings.get(key) or [] if isinstance(f, str)]
    found: dict[tuple[str, str], list[str]] = {}
    images = 0
    for path in dict.fromkeys(files):
        if not wanted - set(found) or not Path(path).is_file():
            continue
        table = pq.read_table(path)
        columns = set(table.column_names)
        if not {"data_source", "extra_info", "prompt"} <= columns:
            continue
        sources = table.column("data_source").to_pylist()
        extras = table.column("extra_info").to_pylist()
        for i, (source, extra) in enumerate(zip(sources, extras)):
            key = (str(source), str((extra or {}).get("id")))
            if key not in wanted or key in found:
                continue
            question = _question(table.column("prompt")[i].as_py())
            image = ""
            if "images" in columns and images < max_images:
                cell = table.column("images")[i].as_py() or []
                image = (_thumbnail(cell[0]) or "") if cell else ""
                images += bool(image)
            found[key] = [question[:2000], image]
    return found


def collect_rows(
    run: RunView, max_rows: int, response_chars: int, max_images: int = 2000
) -> tuple[list[list[Any]], int, dict[str, list[str]]]:
    """Rows as compact arrays ``[stage, step, source, score, components, reason, gold, answer, response,
    prompt key]`` plus ``{prompt key: [question, image data URI]}`` for the prompts the rows name.

    When a run has more than ``max_rows`` scored rows, an even sample of every stage is kept (the page
    says how many); returns (rows, total rows found).
    """
    everything = [row for stage in run.stages for row in reward_rows(run, stage.name)]
    total = len(everything)
    if total > max_rows > 0:
        stride = total / max_rows
        everything = [everything[int(i * stride)] for i in range(max_rows)]
    wanted = {(str(r.get("data_source", "")), str(r["prompt_id"])) for r in everything if r.get("prompt_id")}
    prompts = prompts_for(run, wanted, max_images) if wanted else {}
    keys = {key: f"p{i}" for i, key in enumerate(prompts)}
    out = []
    for row in everything:
        response = str(row.get("response", ""))
        components = {
            k: v
            for k, v in row.items()
            if k not in _RESERVED and isinstance(v, (int, float)) and not isinstance(v, bool)
        }
        out.append(
            [
                row["stage"],
                row["step"],
                str(row.get("data_source", "")),
                row.get("score"),
                components,
                row.get("reason") or "",
                str(row.get("ground_truth", "")),
                (_answer_of(response) or "") if response else "",
                response[:response_chars] + (" [...]" if len(response) > response_chars else ""),
                keys.get((str(row.get("data_source", "")), str(row.get("prompt_id"))), ""),
            ]
        )
    return out, total, {keys[k]: v for k, v in prompts.items()}


def _manifest_table(run: RunView) -> str:
    head = ["stage", "status", "steps", "last reward (SFT: loss)", "time (s)", "init model", "checkpoint / HF export"]
    body = []
    for s in run.stages:
        cells = [
            s.name,
            s.status,
            f"{s.steps_done}/{s.steps_total if s.steps_total is not None else '?'}",
            s.result(),
            f"{s.seconds:.0f}" if s.seconds is not None else "-",
            str(s.record.get("init_model") or "-"),
            str(s.checkpoint or "-"),
        ]
        body.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    return (
        "<table class='grid' id='manifest'><tr>"
        + "".join(f"<th>{h}</th>" for h in head)
        + "</tr>"
        + "".join(body)
        + "</table>"
    )


def _eval_tables(paths: list[Path]) -> str:
    from .tables import TABLES, build, find_summaries, user_row

    summaries = find_summaries([str(p) for p in paths if p.exists()])
    if not summaries:
        return (
            "<p>No evaluation yet: <code>lmmr1 eval --model RUN_DIR --output RUN_DIR/eval ...</code> puts one here.</p>"
        )
    parts = []
    for table in TABLES:
        user = [r for path, s in summaries if (r := user_row(table, s, s.get("label") or path.parent.name))]
        if not user:
            continue
        rows = build(table, user)
        columns = TABLES[table]["columns"]
        lines = [
            f"<h3>{html.escape(TABLES[table]['title'])}</h3><table class='grid eval'><tr><th>model</th><th>source</th>"
        ]
        lines.append("".join(f"<th>{html.escape(c)}</th>" for c in columns) + "</tr>")
        for row in rows:
            cells = "".join(f"<td>{'—' if row.values.get(c) is None else f'{row.values[c]:.2f}'}</td>" for c in columns)
            cls = "paper" if row.published else "yours"
            lines.append(
                f"<tr class='{cls}'><td>{html.escape(row.label)}</td><td>{html.escape(row.source)}</td>{cells}</tr>"
            )
        lines.append("</table>")
        parts.append("".join(lines))
    return "".join(parts)


def _number(value: Any) -> str:
    return "—" if value is None else f"{float(value):+.3f}"


def turn_credit_tables(run: RunView, max_episodes: int = 40) -> str:
    """Per-turn credit of the newest episodes of each turn-level stage (``STAGE/turn_credit.jsonl``): every
    turn's reward and advantage, and for GiGPO its step return, step-group size and step advantage."""
    from .run_dir import turn_credit_rows

    parts = []
    for stage in run.stages:
        episodes = turn_credit_rows(run, stage.name)
        if not episodes:
            continue
        shown = episodes[-max_episodes:]
        gigpo = shown[-1].get("estimator") == "gigpo"
        head = "<tr><th>step</th><th>episode</th><th>return</th>" + ("<th>A<sup>E</sup></th>" if gigpo else "")
        head += (
            "<th>turns: reward → advantage"
            + (" (step return, group size, A<sup>S</sup>)" if gigpo else "")
            + "</th></tr>"
        )
        lines = [
            f"<h3>{html.escape(stage.name)}: {html.escape(str(shown[-1].get('estimator')))}, the newest "
            f"{len(shown)} of {len(episodes)} episodes</h3><table class='grid turns'>{head}"
        ]
        for episode in shown:
            cells = []
            for t, turn in enumerate(episode.get("turns", [])):
                text = f"{t + 1}: {_number(turn.get('reward'))} → <b>{_number(turn.get('advantage'))}</b>"
                if gigpo:
                    text += (
                        f" ({_number(turn.get('step_return'))}, {turn.get('step_group_size')}, "
                        f"{_number(turn.get('step_advantage'))})"
                    )
                cells.append(text)
            lines.append(
                f"<tr><td>{episode.get('step')}</td><td>{html.escape(str(episode.get('key')))}</td>"
                f"<td>{_number(episode.get('return'))}</td>"
                + (f"<td>{_number(episode.get('episode_advantage'))}</td>" if gigpo else "")
                + f"<td>{'<br>'.join(cells)}</td></tr>"
            )
        lines.append("</table>")
        parts.append("".join(lines))
    if not parts:
        return ""
    return "<h2>Turn credit</h2>" + "".join(parts)


_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}
h1{font-size:1.4em}h2{font-size:1.15em;border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table.grid{border-collapse:collapse;font-size:.85em}table.grid td,table.grid th{border:1px solid #ccc;
padding:.25em .5em;text-align:left;vertical-align:top}tr.paper{color:#555}tr.yours{font-weight:600}
img.curves{max-width:100%;border:1px solid #eee}
#filters{display:flex;flex-wrap:wrap;gap:.6em;align-items:center;margin:.6em 0}
#filters label{font-size:.85em}#filters input[type=number]{width:5em}
.row{border:1px solid #ccc;border-radius:4px;margin:.6em 0;padding:.5em}
.meta{font-size:.8em;color:#444;margin-bottom:.3em}.meta b{color:#000}
.think{background:#f3f3f3;color:#555;white-space:pre-wrap;padding:.3em;margin:.2em 0;font-size:.85em}
.answer{background:#e8f6e8;white-space:pre-wrap;padding:.3em;margin:.2em 0}
.other{white-space:pre-wrap;padding:.3em;margin:.2em 0;font-size:.9em}
.err{color:#a00}.score1{color:#060;font-weight:700}.score0{color:#a00;font-weight:700}
.tag{font-size:.75em;color:#777;margin-right:.4em}
.prompt{display:flex;gap:.6em;align-items:flex-start;margin:.3em 0;font-size:.85em;color:#333}
.thumb{max-width:160px;max-height:160px;border:1px solid #ddd}.question{white-space:pre-wrap}
"""

_SCRIPT = r"""
const ROWS = JSON.parse(document.getElementById('rows').textContent);
const PROMPTS = JSON.parse(document.getElementById('prompts').textContent);
const PAGE = 50;
let page = 0, shown = [];
const $ = (id) => document.getElementById(id);
function options(select, values, all) {
  select.innerHTML = '';
  const first = document.createElement('option'); first.value = ''; first.textContent = all; select.appendChild(first);
  for (const v of values) { const o = document.createElement('option'); o.value = String(v); o.textContent = String(v); select.appendChild(o); }
}
function unique(values) { return [...new Set(values)]; }
function refillSteps() {
  const stage = $('stage').value;
  options($('step'), unique(ROWS.filter(r => !stage || r[0] === stage).map(r => r[1])), 'all steps');
}
function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; }
function parts(response) {
  // <think>...</think> and <answer>...</answer> shown apart; anything else as plain text
  const out = []; const re = /<(think|answer)>([\s\S]*?)(?:<\/\1>|$)/g; let last = 0, m;
  while ((m = re.exec(response)) !== null) {
    if (m.index > last) out.push(['other', response.slice(last, m.index)]);
    out.push([m[1], m[2]]); last = re.lastIndex;
  }
  if (last < response.length) out.push(['other', response.slice(last)]);
  return out;
}
function render() {
  const list = $('list'); list.innerHTML = '';
  const start = page * PAGE, rows = shown.slice(start, start + PAGE);
  for (const r of rows) {
    const [stage, step, source, score, comps, reason, gold, answer, response, promptKey] = r;
    const box = el('div', 'row'); box.dataset.stage = stage;
    const meta = el('div', 'meta');
    meta.appendChild(el('span', 'tag', 'stage')); meta.appendChild(el('b', null, stage + '  '));
    meta.appendChild(el('span', 'tag', 'step')); meta.appendChild(el('b', null, String(step) + '  '));
    meta.appendChild(el('span', 'tag', 'source')); meta.appendChild(el('b', null, source + '  '));
    meta.appendChild(el('span', 'tag', 'reward')); meta.appendChild(el('span', score > 0 ? 'score1' : 'score0', String(score)));
    for (const [k, v] of Object.entries(comps)) { meta.appendChild(el('span', 'tag', ' ' + k)); meta.appendChild(el('b', null, String(v))); }
    box.appendChild(meta);
    const prompt = PROMPTS[promptKey];
    if (prompt) {
      const q = el('div', 'prompt');
      if (prompt[1]) { const img = el('img', 'thumb'); img.src = prompt[1]; img.alt = 'prompt image'; q.appendChild(img); }
      q.appendChild(el('div', 'question', prompt[0]));
      box.appendChild(q);
    }
    const gm = el('div', 'meta');
    gm.appendChild(el('span', 'tag', 'extracted answer')); gm.appendChild(el('b', 'extracted', answer || '(none)'));
    gm.appendChild(el('span', 'tag', '  gold')); gm.appendChild(el('b', 'gold', gold));
    box.appendChild(gm);
    if (reason) box.appendChild(el('div', 'meta err', 'error: ' + reason));
    if (!response) box.appendChild(el('div', 'other', '(response not logged: log_responses=0)'));
    for (const [kind, text] of parts(response)) box.appendChild(el('div', kind, (kind === 'other' ? '' : kind + ': ') + text));
    list.appendChild(box);
  }
  const end = Math.min(start + PAGE, shown.length);
  $('count').textContent = shown.length ? `rows ${start + 1}-${end} of ${shown.length}` : 'no rows match';
  $('prev').disabled = page === 0; $('next').disabled = end >= shown.length;
}
function apply() {
  const stage = $('stage').value, step = $('step').value, source = $('source').value;
  const min = parseFloat($('minscore').value), max = parseFloat($('maxscore').value);
  const text = $('search').value.toLowerCase(), errors = $('errors').checked;
  shown = ROWS.filter(r => (!stage || r[0] === stage) && (!step || String(r[1]) === step) && (!source || r[2] === source)
    && (isNaN(min) || r[3] >= min) && (isNaN(max) || r[3] <= max) && (!errors || r[5])
    && (!text || r[8].toLowerCase().includes(text) || r[6].toLowerCase().includes(text)));
  page = 0; render();
}
options($('stage'), unique(ROWS.map(r => r[0])), 'all stages');
options($('source'), unique(ROWS.map(r => r[2])), 'all sources');
refillSteps();
$('stage').addEventListener('change', () => { refillSteps(); apply(); });
for (const id of ['step', 'source', 'minscore', 'maxscore', 'search', 'errors']) $(id).addEventListener('input', apply);
$('prev').addEventListener('click', () => { page = Math.max(0, page - 1); render(); });
$('next').addEventListener('click', () => { page += 1; render(); });
apply();
"""


def build_html(
    run: RunView,
    eval_paths: Optional[list[Path]] = None,
    max_rows: int = 100_000,
    response_chars: int = 1500,
    max_images: int = 2000,
    token_responses: int = 12,
) -> tuple[str, dict[str, int]]:
    """The page's HTML and counts (``rows``: embedded, ``rows_total``: found); ``token_responses``: the newest
    logged responses per stage in the token view (0: none)."""
    from .curves import plot_run

    with tempfile.TemporaryDirectory() as tmp:
        try:
            overview = plot_run(run, Path(tmp))[0]
            curves = f"<img class='curves' alt='training curves' src='{_img(overview)}'>"
        except ValueError as exc:
            curves = f"<p>{html.escape(str(exc))}</p>"
    rows, total, prompts = collect_rows(run, max_rows, response_chars, max_images)
    sampled = (
        f"<p>{len(rows):,} of {total:,} scored responses, an even sample (<code>--max-rows</code>).</p>"
        if total > len(rows)
        else f"<p>{total:,} scored responses.</p>"
    )
    payload = json.dumps(rows, ensure_ascii=True).replace("</", "<\\/")
    prompt_payload = json.dumps(prompts, ensure_ascii=True).replace("</", "<\\/")
    m = run.manifest
    title = f"lmmr1 run {m.get('recipe', run.path.name)}"
    body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<style>{_STYLE}{TOKEN_STYLE}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{html.escape(str(run.path))} · model {html.escape(str(m.get("model", "?")))} · scale {html.escape(str(m.get("scale", "?")))}
 · next: {html.escape(run.next_action())}</p>
<h2>Stages</h2>{_manifest_table(run)}
<h2>Curves</h2>{curves}
<h2>Evaluation</h2>{_eval_tables([run.path, *(eval_paths or [])])}
{turn_credit_tables(run)}
{token_sections(run, token_responses) if token_responses else ""}
<h2>Rollouts</h2>{sampled}
<div id="filters">
<label>stage <select id="stage"></select></label>
<label>step <select id="step"></select></label>
<label>data source <select id="source"></select></label>
<label>reward ≥ <input id="minscore" type="number" step="0.1" size="4"></label>
<label>reward ≤ <input id="maxscore" type="number" step="0.1" size="4"></label>
<label><input id="errors" type="checkbox"> errors only</label>
<label>text <input id="search" type="search" size="16"></label>
<button id="prev">previous</button><button id="next">next</button><span id="count"></span>
</div>
<div id="list"></div>
<script type="application/json" id="rows">{payload}</script>
<script type="application/json" id="prompts">{prompt_payload}</script>
<script>{_SCRIPT}{TOKEN_SCRIPT}</script>
</body></html>
"""
    return body, {"rows": len(rows), "rows_total": total}
