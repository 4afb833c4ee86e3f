"""The layers as the code says: reading a scenario needs no engine, and bpstep has no import cycle."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import bpstep

PACKAGE = Path(bpstep.__file__).parent


def _loaded_after(statement: str) -> list[str]:
    code = f"import sys, json; {statement}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_the_scenario_package_does_not_import_the_engine() -> None:
    loaded = _loaded_after("import bpstep.scenario; bpstep.scenario.load('xor')")
    engine = [m for m in loaded if m == "bpstep.engine" or m.startswith("bpstep.engine.")]
    assert not engine, f"reading a scenario imported {engine}"


def test_the_scenario_package_does_not_import_numpy() -> None:
    assert "numpy" not in _loaded_after("import bpstep.scenario")


def test_the_shape_rules_agree_with_the_engine() -> None:
    """``shapes.steps_per_batch`` (for the loader's size check) counts what the engine records."""
    from bpstep.engine.network import batch_template, build_modules
    from bpstep.scenario import load_dict
    from bpstep.shapes import module_infos, steps_per_batch

    for layers in ([{"units": 2, "activation": "sigmoid"}, {"units": 1, "activation": "identity"}],
                   [{"units": 3, "activation": "identity", "shared_bias": True}],
                   [{"units": 3, "activation": "tanh"}, {"units": 2, "activation": "relu"},
                    {"units": 1, "activation": "sigmoid"}]):
        sc = load_dict({"name": "t", "network": {"inputs": 2, "layers": layers},
                        "data": {"inputs": [[0.0, 1.0]], "targets": [[1.0] * layers[-1]["units"]]},
                        "training": {"learning_rate": 0.1, "epochs": 1}})
        modules = build_modules(sc.network)
        assert [m.info for m in modules] == module_infos(sc.network)
        for l2, frozen in ((False, frozenset()), (True, frozenset({"W1"}))):
            assert steps_per_batch(module_infos(sc.network)) == len(batch_template(modules, l2, frozen).specs)


# --- import cycles ---------------------------------------------------------------------------------

def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _module_level_imports(tree: ast.Module, name: str, is_package: bool) -> set[str]:
    """The bpstep modules a module imports when it is imported: module level (also inside
    try/if blocks), not inside functions, not under ``if TYPE_CHECKING:``."""
    out: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                out.update(a.name for a in node.names if a.name.split(".")[0] == "bpstep")
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative
                    package = name.split(".") if is_package else name.split(".")[:-1]
                    base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
                if base.split(".")[0] != "bpstep":
                    continue
                out.add(base)
                out.update(f"{base}.{a.name}" for a in node.names)  # `from bpstep import check`
            elif isinstance(node, ast.If):
                if not _is_type_checking(node.test):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)

    visit(tree.body)
    return out


def import_graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        targets = _module_level_imports(tree, name, path.name == "__init__.py")
        # Importing a.b.c first imports the packages a.b and a, whose __init__ runs too.
        edges = set()
        for target in targets:
            parts = target.split(".")
            for i in range(2, len(parts) + 1):
                if ".".join(parts[:i]) in files:
                    edges.add(".".join(parts[:i]))
        edges.discard(name)
        # A package's own __init__ is not a dependency of its submodules in the cycle sense
        # (Python has it half-initialised when they run), so only count edges to other modules.
        edges = {e for e in edges if not name.startswith(e + ".")}
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def dfs(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = dfs(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = dfs(node)
            if found:
                return found
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_bpstep_has_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])
