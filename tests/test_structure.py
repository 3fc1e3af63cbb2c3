"""The shape of the house (issue 23): no import circles between modules, no module over 600 lines, the
config package free of verl and torch. Read from the source as text (nothing here imports lmmr1's modules,
except the fresh interpreters of the purity checks)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# installed names of the three source folders (setup.py's package_dir)
FOLDERS = {"lmmr1": REPO / "lmmr1", "lmmr1.rewards": REPO / "rewards", "lmmr1.envs": REPO / "envs"}
MAX_LINES = 600
# modules that are data tables, not code: the size rule does not apply (none today)
DATA_TABLES: set[str] = set()


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for prefix, folder in FOLDERS.items():
        for path in folder.rglob("*.py"):
            rel = path.relative_to(folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            found[".".join([prefix, *parts])] = path
    return found


def _imports(path: Path, name: str, known: dict[str, Path]) -> set[str]:
    """lmmr1 modules ``path`` imports, at any depth of the file (lazy imports are arrows too)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        for target in targets:
            # the longest known module the name starts with (a name imported from a module is the module)
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def _graph() -> dict[str, set[str]]:
    known = _modules()
    graph = {name: _imports(path, name, known) for name, path in known.items()}
    # importing a package's own __init__ from inside it is how Python reaches a sibling: not an arrow back
    return {
        name: {t for t in targets if not (name.startswith(t + ".") and known[t].name == "__init__.py")}
        for name, targets in graph.items()
    }


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of two or more modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_import_circles_between_modules():
    circles = _circles(_graph())
    assert not circles, "modules that import each other (directly or round a loop): " + "; ".join(
        " <-> ".join(c) for c in circles
    )


def test_no_module_is_over_600_lines():
    long = {
        name: n
        for name, path in _modules().items()
        if name not in DATA_TABLES and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines (split them by job): {long}"


def test_the_config_package_imports_nothing_of_verl():
    graph = _graph()
    config = [name for name in graph if name == "lmmr1.config" or name.startswith("lmmr1.config.")]
    assert config
    for name in config:
        wrong = {t for t in graph[name] if t.startswith(("lmmr1.verl", "lmmr1.run"))}
        assert not wrong, f"{name} imports {wrong}"


_FRESH = """
import sys
from hydra import compose, initialize_config_module
import lmmr1.config
heavy = sorted(m for m in ("torch", "verl", "transformers", "ray", "vllm") if m in sys.modules)
assert not heavy, ("importing lmmr1.config", heavy)
from lmmr1.run.settings import build_run_config
with initialize_config_module("lmmr1.recipes", version_base=None):
    for recipe in ("sokoban_online", "mgt_football", "fre_multi", "r1_onevision"):
        typed = ["scale=smoke", "model=tiny_qwen2_5_vl", "data=samples", "stages.%s.agent_loops.%s.max_turns=2"]
        stage, loop = {"sokoban_online": ("sokoban_online", "sokoban_online"),
                       "mgt_football": ("mgt_football", "football_online")}.get(recipe, (None, None))
        typed = typed[:3] + ([typed[3] % (stage, loop)] if stage else [])
        cfg = compose("config", overrides=["+recipe=" + recipe, *typed])
        build_run_config(cfg, typed, check_files=False)
heavy = sorted(m for m in ("torch", "verl", "transformers", "ray", "vllm") if m in sys.modules)
assert not heavy, ("checking the settings", heavy)
print("pure")
"""


def test_checking_a_run_s_settings_imports_neither_verl_nor_torch():
    """A dry run, a typo and explain=true answer in a second on any machine: config and the owners' checks
    (agent-loop settings included) import no verl, torch, transformers, Ray or vLLM."""
    result = subprocess.run([sys.executable, "-c", _FRESH], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0 and "pure" in result.stdout, result.stderr[-3000:]


def test_rewards_and_envs_stay_leaves():
    """rewards/ may use lmmr1's registry (how rewards are found) and nothing else of lmmr1; envs/ nothing."""
    graph = _graph()
    for name, targets in graph.items():
        outside = {t for t in targets if not t.startswith(("lmmr1.rewards", "lmmr1.envs"))}
        if name.startswith("lmmr1.rewards"):
            assert outside <= {"lmmr1.registry"}, f"{name} imports {outside}"
        if name.startswith("lmmr1.envs"):
            assert not outside and not {t for t in targets if t.startswith("lmmr1.rewards")}, (
                f"{name} imports {targets}"
            )
