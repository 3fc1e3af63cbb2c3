"""Reward benchmark: lmmr1's ``math`` / ``lmm_r1`` vs math-verify configured as LMM-R1 configured it.

Same run, same machine, two labelled sets: ``pairs.jsonl`` (1,728 pairs from the generator
``make_pairs.py``, labels by construction) and ``forms.jsonl`` (answer forms of real outputs, written and
labelled by hand in ``forms_source.py``, issue 10):

* accuracy, false positives / negatives of the accuracy decision (label: is the final answer right);
* speed in-process: pairs/s and p50 / p99 latency per pair (math-verify sequential, one core; and as
  LMM-R1 ran it, a pool of 2 processes);
* ``lmmr1 score`` end to end (a fresh process: start-up, reading, scoring, writing) vs math-verify's
  sequential rate;
* the worst case on pathological inputs (each peer call in its own process under a 60 s watchdog);
* per category, the time lmmr1's ``math`` takes per pair now and at a baseline commit (``--baseline``,
  default the last commit before issue 10's grader changes), the baseline imported from ``git archive``
  of its ``rewards/`` folder.

Writes ``benchmarks/results/rewards.md``.

    .venv/bin/python benchmarks/rewards/run.py [--limit N] [--baseline REV]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PAIRS = HERE / "pairs.jsonl"
FORMS = HERE / "forms.jsonl"
BASELINE_REV = "78d1474"  # the grader before issue 10 (multi-box, labels, relations, units, ...)
RESULTS = ROOT / "benchmarks" / "results" / "rewards.md"
sys.path.insert(0, str(HERE))

PATHOLOGICAL = {
    "2^{10^{10}}": "<answer>\\boxed{2^{10^{10}}}</answer>",
    "9^{9^{9}}": "<answer>\\boxed{9^{9^{9}}}</answer>",
    "10^{10^{10^{10}}}": "<answer>\\boxed{10^{10^{10^{10}}}}</answer>",
    "300 nested \\frac": "<answer>\\boxed{" + "\\frac{1}{" * 300 + "2" + "}" * 300 + "}</answer>",
    "500 nested parentheses": "<answer>\\boxed{" + "(" * 500 + "1" + ")" * 500 + "}</answer>",
    "500 nested \\sqrt": "<answer>\\boxed{" + "\\sqrt{" * 500 + "2" + "}" * 500 + "}</answer>",
    "100000!": "<answer>\\boxed{100000!}</answer>",
    "x^{99999999} vs x": "<answer>\\boxed{x^{99999999}}</answer>",
    "1 MB response": "<think>" + "blah " * 200_000 + "</think><answer>\\boxed{5}</answer>",
    "20k-digit number": "<answer>\\boxed{" + "7" * 20_000 + "}</answer>",
    "lone surrogate": "<answer>\\boxed{5}\ud800</answer>",
    "control characters": "<answer>\\boxed{5}\x00\x07</answer>",
}
PATHOLOGICAL_GOLD = "5"


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def stats(preds: list[float], rows: list[dict]) -> dict:
    tp = sum(1 for p, r in zip(preds, rows) if p >= 0.5 and r["expected"] == 1)
    fp = sum(1 for p, r in zip(preds, rows) if p >= 0.5 and r["expected"] == 0)
    fn = sum(1 for p, r in zip(preds, rows) if p < 0.5 and r["expected"] == 1)
    return {"acc": (len(rows) - fp - fn) / len(rows), "fp": fp, "fn": fn, "tp": tp}


def _mv_one(args: tuple[str, str]) -> float:
    from peer_math_verify import lmm_r1_accuracy

    return lmm_r1_accuracy(*args)[0]


def run_math_verify(rows: list[dict]) -> dict:
    from peer_math_verify import lmm_r1_accuracy

    lmm_r1_accuracy("<answer>\\boxed{1}</answer>", "1")  # warm imports/caches, as a server would be
    preds, strict, lat = [], [], []
    t0 = time.perf_counter()
    for r in rows:
        t = time.perf_counter()
        value, status = lmm_r1_accuracy(r["response"], r["ground_truth"])
        lat.append(time.perf_counter() - t)
        preds.append(value)
        strict.append(value if status == "verified" else 0.0)
    total = time.perf_counter() - t0
    return {"preds": preds, "strict": strict, "lat": lat, "total": total}


def run_math_verify_pool(rows: list[dict]) -> float:
    """As LMM-R1's reward server ran it: ProcessPoolExecutor(max_workers=2); returns wall seconds."""
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=2) as pool:
        list(pool.map(_mv_one, [(r["response"], r["ground_truth"]) for r in rows], chunksize=8))
    return time.perf_counter() - t0


def run_lmmr1(rows: list[dict], reward: str) -> dict:
    from lmmr1.rewards.scoring import Scorer

    scorer = Scorer(reward, workers=2, timeout_s=2.0)
    preds, totals, lat, errors = [], [], [], 0
    t0 = time.perf_counter()
    for r in rows:
        t = time.perf_counter()
        out = scorer.score(None, r["response"], r["ground_truth"])
        lat.append(time.perf_counter() - t)
        preds.append(out["acc"])
        totals.append(out["score"])
        errors += bool(out.get("error"))
    total = time.perf_counter() - t0
    pool_used = scorer._pool is not None
    scorer.close()
    return {"preds": preds, "totals": totals, "lat": lat, "total": total, "pool_used": pool_used, "errors": errors}


def run_pool_only(rows: list[dict]) -> tuple[float, list[float]]:
    """Every pair through the 2-process pool (no fast path): the cost if nothing were decided in-process.

    Includes starting the two workers (each imports sympy)."""
    from concurrent.futures import ThreadPoolExecutor

    from lmmr1.rewards.scoring import Scorer

    scorer = Scorer("math", workers=2, timeout_s=2.0)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as ex:
        outs = list(
            ex.map(lambda r: scorer.pool.run("math", {}, (None, r["response"], r["ground_truth"], None), 2.0), rows)
        )
    elapsed = time.perf_counter() - t0
    scorer.close()
    return elapsed, [o[1]["acc"] if o[0] == "ok" else 0.0 for o in outs]


def load_baseline(rev: str):
    """``math_reward`` as it was at ``rev`` (its ``rewards/`` folder imported under another name), or None."""
    import importlib

    target = Path(tempfile.mkdtemp()) / "baseline_rewards"
    try:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", rev, "rewards"], check=True, capture_output=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"  no baseline ({rev}): {exc}", flush=True)
        return None
    import io
    import tarfile

    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target.parent, filter="data")
    (target.parent / "rewards").rename(target)
    sys.path.insert(0, str(target.parent))
    return importlib.import_module("baseline_rewards.math").math_reward


def per_category_ms(fns: dict, rows: list[dict], repeats: int = 5) -> dict[str, dict[str, float]]:
    """``{grader: {category: mean in-process ms per pair}}``, best of ``repeats``; the graders take turns
    on each category so that warm-up and machine noise hit them alike."""
    by_cat: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_cat[r["category"]].append(r)
    out: dict[str, dict[str, float]] = {name: {} for name in fns}
    for cat, sub in by_cat.items():
        best = {name: float("inf") for name in fns}
        for _ in range(repeats):
            for name, fn in fns.items():
                t = time.perf_counter()
                for r in sub:
                    fn(None, r["response"], r["ground_truth"])
                best[name] = min(best[name], time.perf_counter() - t)
        for name in fns:
            out[name][cat] = best[name] / len(sub) * 1000
    return out


def category_table(rows: list[dict], preds: dict[str, list[float]]) -> list[str]:
    names = list(preds)
    lines = [
        "| category | pairs | " + " | ".join(f"{n} | FP/FN" for n in names) + " |",
        "|---|---:|" + "---:|---:|" * len(names),
    ]
    by_cat: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by_cat[r["category"]].append(i)
    for cat, idx in sorted(by_cat.items()):
        sub = [rows[i] for i in idx]
        cells = []
        for n in names:
            st = stats([preds[n][i] for i in idx], sub)
            cells.append(f"{st['acc'] * 100:.1f}% | {st['fp']}/{st['fn']}")
        lines.append(f"| {cat} | {len(idx)} | " + " | ".join(cells) + " |")
    return lines


def run_cli(path: Path, reward: str) -> tuple[float, list[dict]]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.jsonl"
        cmd = [
            str(Path(sys.executable).with_name("lmmr1")),
            "score",
            "--reward",
            reward,
            "--input",
            str(path),
            "--output",
            str(out),
            "--quiet",
        ]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        elapsed = time.perf_counter() - t0
        return elapsed, [json.loads(line) for line in out.read_text().splitlines()]


def pathological() -> list[tuple[str, float, str, float, str]]:
    from lmmr1.rewards.scoring import Scorer

    scorer = Scorer("math", workers=2, timeout_s=2.0)
    scorer.score(None, "\\boxed{1}", "1")
    rows = []
    for name, response in PATHOLOGICAL.items():
        t = time.perf_counter()
        out = scorer.score(None, response, PATHOLOGICAL_GOLD)
        ours = time.perf_counter() - t
        ours_note = f"score {out['score']:g}" + (f", {out['error']}" if out.get("error") else "")
        code = (
            "import sys, json, time; sys.path.insert(0, %r); from peer_math_verify import lmm_r1_accuracy; "
            "r = json.loads(sys.stdin.read()); lmm_r1_accuracy('<answer>\\\\boxed{1}</answer>', '1'); "
            "t = time.perf_counter(); v = lmm_r1_accuracy(r, %r); "
            "print(json.dumps([time.perf_counter() - t, v[0], v[1]]))" % (str(HERE), PATHOLOGICAL_GOLD)
        )
        try:
            proc = subprocess.run(
                [sys.executable, "-c", code], input=json.dumps(response), capture_output=True, text=True, timeout=60
            )
            if proc.returncode != 0:
                peer, peer_note = float("nan"), "crashed: " + (proc.stderr.strip().splitlines() or ["?"])[-1][:80]
            else:
                seconds, value, status = json.loads(proc.stdout.strip().splitlines()[-1])
                peer, peer_note = seconds, f"score {value:g} ({status})"
        except subprocess.TimeoutExpired:
            peer, peer_note = 60.0, "still running after 60 s (killed)"
        rows.append((name, ours, ours_note, peer, peer_note))
        print(
            f"  {name:24s} lmmr1 {ours * 1000:8.1f} ms ({ours_note}) | math-verify {peer:7.2f} s ({peer_note})",
            flush=True,
        )
    scorer.close()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=0, help="use only the first N pairs (quick check)")
    ap.add_argument("--baseline", default=BASELINE_REV, help="git revision whose grader to time per category")
    args = ap.parse_args()
    rows = [json.loads(line) for line in PAIRS.read_text().splitlines()]
    path = PAIRS
    if args.limit:
        rows = rows[: args.limit]
        tmp = Path(tempfile.mkdtemp()) / "pairs.jsonl"
        tmp.write_text("".join(json.dumps(r) + "\n" for r in rows))
        path = tmp
    n = len(rows)
    print(f"{n} labelled pairs, {os.cpu_count()} cores", flush=True)

    print("math-verify (LMM-R1 configuration), sequential ...", flush=True)
    mv = run_math_verify(rows)
    print(f"  {n / mv['total']:.1f} pairs/s", flush=True)
    print("math-verify, pool of 2 processes (as LMM-R1's server) ...", flush=True)
    mv_pool = run_math_verify_pool(rows)
    print("lmmr1 math / lmm_r1 in-process ...", flush=True)
    ours = {name: run_lmmr1(rows, name) for name in ("math", "lmm_r1")}
    print("lmmr1 math, pool only ...", flush=True)
    pool_only, pool_preds = run_pool_only(rows)
    assert pool_preds == ours["math"]["preds"], "pool and fast path disagree"
    print("lmmr1 score (end to end) ...", flush=True)
    cli = {name: run_cli(path, name) for name in ("math", "lmm_r1")}
    for name, (_, out) in cli.items():
        assert [o["acc"] for o in out] == ours[name]["preds"], f"lmmr1 score {name} disagrees with in-process"
    print("pathological inputs ...", flush=True)
    patho = pathological()
    print("hand-written answer forms ...", flush=True)
    forms = [json.loads(line) for line in FORMS.read_text().splitlines()]
    forms_mv = run_math_verify(forms)
    forms_ours = run_lmmr1(forms, "math")
    print("time per category, now and at the baseline ...", flush=True)
    from lmmr1.rewards.math import math_reward

    baseline = load_baseline(args.baseline)
    timing = per_category_ms({"now": math_reward, "base": baseline} if baseline else {"now": math_reward}, rows + forms)
    timing_now, timing_base = timing["now"], timing.get("base", {})
    base_preds = [baseline(None, r["response"], r["ground_truth"])["acc"] for r in rows] if baseline else []

    # -- report -------------------------------------------------------------------------------------
    s_mv, s_strict = stats(mv["preds"], rows), stats(mv["strict"], rows)
    s_ours = {k: stats(v["preds"], rows) for k, v in ours.items()}
    mv_rate = n / mv["total"]
    lines = [
        "# Reward benchmark: lmmr1 vs math-verify (LMM-R1 configuration)",
        "",
        f"Generated by `benchmarks/rewards/run.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPU cores, "
        f"math-verify {_version('math-verify')}, sympy {_version('sympy')}.",
        f"Labelled set: `benchmarks/rewards/pairs.jsonl`, {n} pairs ({sum(r['expected'] for r in rows)} correct "
        f"answers, {n - sum(r['expected'] for r in rows)} wrong ones incl. adversarial near misses), "
        "generated by `make_pairs.py` (labels by construction).",
        "",
        "The label is whether the response's final answer is right (the accuracy part of the reward). "
        "math-verify is called exactly as LMM-R1's reward server called it (boxed-first extraction, gold "
        "wrapped in `$...$`, 1.0 when the gold cannot be parsed or `verify` raises); the *strict* row "
        "counts those silent 1.0s as 0. `lmm_r1` is scored on its `acc` component (its total adds the "
        "0.5 format reward, identical in both systems).",
        "",
        "## Accuracy and speed (in-process, per pair)",
        "",
        "| grader | accuracy | false positives | false negatives | pairs/s | p50 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def row(label: str, s: dict, lat: list[float] | None, total: float | None) -> str:
        rate = f"{n / total:,.0f}" if total else "-"
        p50 = f"{pct(lat, 0.5) * 1000:.3f}" if lat else "-"
        p99 = f"{pct(lat, 0.99) * 1000:.3f}" if lat else "-"
        mx = f"{max(lat) * 1000:.1f}" if lat else "-"
        return f"| {label} | {s['acc'] * 100:.2f}% | {s['fp']} | {s['fn']} | {rate} | {p50} | {p99} | {mx} |"

    lines.append(row("math-verify, LMM-R1 config (sequential, 1 core)", s_mv, mv["lat"], mv["total"]))
    lines.append(row("math-verify, LMM-R1 config, strict (no silent 1.0)", s_strict, None, None))
    lines.append(
        f"| math-verify, LMM-R1 config, pool of 2 processes | {s_mv['acc'] * 100:.2f}% | {s_mv['fp']} | "
        f"{s_mv['fn']} | {n / mv_pool:,.0f} | - | - | - |"
    )
    for name in ("math", "lmm_r1"):
        lines.append(
            row(
                f"lmmr1 `{name}` (fast path in-process, 2-worker pool, 2 s limit)",
                s_ours[name],
                ours[name]["lat"],
                ours[name]["total"],
            )
        )
    lines.append(
        f"| lmmr1 `math`, every pair forced through the 2-process pool (worker start-up included) | "
        f"{s_ours['math']['acc'] * 100:.2f}% | {s_ours['math']['fp']} | {s_ours['math']['fn']} | "
        f"{n / pool_only:,.0f} | - | - | - |"
    )
    fast_share = sum(1 for r in rows if _fast_decides(r)) / n
    lines += [
        "",
        f"The in-process fast path decided {fast_share * 100:.1f}% of these pairs; the rest (and every reward "
        "without a fast path) go to the time-limited pool, whose cost the forced-pool row shows.",
    ]
    lines += [
        "",
        "## `lmmr1 score` end to end (fresh process: start-up, read, score, write)",
        "",
        "| command | wall s | pairs/s | vs math-verify sequential |",
        "|---|---:|---:|---:|",
    ]
    for name, (elapsed, _) in cli.items():
        lines.append(
            f"| `lmmr1 score --reward {name}` ({n} pairs) | {elapsed:.2f} | {n / elapsed:,.0f} | "
            f"{(n / elapsed) / mv_rate:.1f}x |"
        )
    lines.append(
        f"| math-verify sequential, in-process, imports excluded | {mv['total']:.2f} | {mv_rate:,.1f} | 1.0x |"
    )
    lines += [
        "",
        "## Per category (accuracy; errors listed as FP/FN)",
        "",
        "| category | pairs | math-verify (LMM-R1) | FP/FN | lmmr1 `math` | FP/FN |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    by_cat: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by_cat[r["category"]].append(i)
    for cat, idx in sorted(by_cat.items()):
        sub = [rows[i] for i in idx]
        a = stats([mv["preds"][i] for i in idx], sub)
        b = stats([ours["math"]["preds"][i] for i in idx], sub)
        lines.append(
            f"| {cat} | {len(idx)} | {a['acc'] * 100:.1f}% | {a['fp']}/{a['fn']} | {b['acc'] * 100:.1f}% | "
            f"{b['fp']}/{b['fn']} |"
        )
    lines += [
        "",
        "## Answer forms of real outputs (hand-written set, issue 10)",
        "",
        f"`benchmarks/rewards/forms.jsonl`: {len(forms)} pairs written and labelled by hand "
        "(`forms_source.py`) in the formats real models produce: several boxes, labelled equations, MATH's "
        "few-shot line, no box, relations, equivalent inequalities, number forms, rounded irrationals, "
        "matrices, sets and lists, units.",
        "",
    ]
    s_fmv, s_fours = stats(forms_mv["preds"], forms), stats(forms_ours["preds"], forms)
    lines += [
        "| grader | accuracy | false positives | false negatives | pairs/s |",
        "|---|---:|---:|---:|---:|",
        f"| math-verify, LMM-R1 config | {s_fmv['acc'] * 100:.1f}% | {s_fmv['fp']} | {s_fmv['fn']} | "
        f"{len(forms) / forms_mv['total']:,.0f} |",
        f"| lmmr1 `math` | {s_fours['acc'] * 100:.1f}% | {s_fours['fp']} | {s_fours['fn']} | "
        f"{len(forms) / forms_ours['total']:,.0f} |",
        "",
    ]
    lines += category_table(forms, {"math-verify (LMM-R1)": forms_mv["preds"], "lmmr1 `math`": forms_ours["preds"]})
    if timing_base:
        kept = stats(base_preds, rows)
        lines += [
            "",
            f"## Time per pair by category: now vs `{args.baseline}` (in-process, best of 5, taking turns)",
            "",
            f"The baseline grader scores the generated set at {kept['acc'] * 100:.2f}% "
            f"(FP {kept['fp']}, FN {kept['fn']}); now: {s_ours['math']['acc'] * 100:.2f}% "
            f"(FP {s_ours['math']['fp']}, FN {s_ours['math']['fn']}).",
            "",
            "| category | now ms | baseline ms | ratio |",
            "|---|---:|---:|---:|",
        ]
        existing = {r["category"] for r in rows}
        for cat in sorted(timing_now):
            now, base = timing_now[cat], timing_base[cat]
            mark = "" if cat in existing else " (hand-written set)"
            lines.append(f"| {cat}{mark} | {now:.3f} | {base:.3f} | {now / base:.2f}x |")
        worst_cat = max(existing, key=lambda c: timing_now[c] / timing_base[c])
        lines += [
            "",
            f"Slowest change on the generated set: {worst_cat}, "
            f"{timing_now[worst_cat] / timing_base[worst_cat]:.2f}x the baseline. Categories of the hand-written "
            "set may take longer than the baseline because the baseline gave up on them early (no answer found, "
            "only the last box read) where the grader now reads and compares them.",
        ]
    lines += [
        "",
        f"## Pathological inputs (gold `{PATHOLOGICAL_GOLD}`; lmmr1 time limit 2 s, math-verify in its own process "
        "under a 60 s watchdog)",
        "",
        "| input | lmmr1 ms | lmmr1 result | math-verify s | math-verify result |",
        "|---|---:|---|---:|---|",
    ]
    for name, t_ours, note_ours, t_peer, note_peer in patho:
        lines.append(f"| {name} | {t_ours * 1000:.1f} | {note_ours} | {t_peer:.2f} | {note_peer} |")
    worst = max(p[1] for p in patho)
    worst_peer = max(p[3] for p in patho if p[3] == p[3])
    lines += [
        "",
        f"Worst case: lmmr1 {worst * 1000:.0f} ms, math-verify {worst_peer:.1f} s.",
        "",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))


def _fast_decides(row: dict) -> bool:
    from lmmr1.rewards.math import math_reward

    return math_reward.fast_path(None, row["response"], row["ground_truth"]) is not None


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


if __name__ == "__main__":
    main()
