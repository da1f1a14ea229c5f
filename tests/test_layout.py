"""The layout rules that keep the package readable, checked by parsing every module with ``ast``.

- Data flows one way: serving code (``io``, ``features``, ``models``, ``pretrained``, ``results``, ``predict``)
  never imports ``training`` or ``reports`` (lazy imports inside functions count), and no module imports itself
  back through others (no cycles).
- ``mirloc_core`` never imports streamlit; the app (``app.py``, ``app_support.py``, ``app_pages/``) never imports torch
  and holds no model logic: no numeric thresholds, no JSON/manifest parsing, no scientific libraries.
- Library code never writes ``os.environ``: settings are passed.
- No module over 600 lines, no function over 80 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "mirloc_core"
SERVING = ("mirloc_core.io", "mirloc_core.features", "mirloc_core.models", "mirloc_core.pretrained",
           "mirloc_core.results", "mirloc_core.predict", "mirloc_core.config")
FORBIDDEN_FOR_SERVING = ("mirloc_core.training", "mirloc_core.reports")
APP_FILES = [ROOT / "app.py", ROOT / "app_support.py", *sorted((ROOT / "app_pages").glob("*.py"))]
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at module level or inside functions, as absolute dotted names."""
    tree = ast.parse(path.read_text())
    try:
        name = _module_name(path)
    except ValueError:  # a file outside the repository (the self-check)
        name = path.stem
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")
                parent = parent[: len(parent) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names)  # "from pkg import module"
    return out


def _internal_edges() -> dict[str, set[str]]:
    modules = _modules()
    return {name: {imp for imp in _imports(path) if imp in modules and imp != name}
            for name, path in modules.items()}


def test_the_package_has_the_documented_layers():
    modules = _modules()
    for name in ("mirloc_core.config", "mirloc_core.io", "mirloc_core.features", "mirloc_core.models",
                 "mirloc_core.pretrained", "mirloc_core.results", "mirloc_core.predict", "mirloc_core.motifs",
                 "mirloc_core.training", "mirloc_core.training.cv", "mirloc_core.reports", "mirloc_core.plot"):
        assert name in modules, f"{name} is missing from the layout"


def test_serving_code_never_imports_training_or_reports():
    offenders = []
    for name, path in _modules().items():
        if not name.startswith(SERVING):
            continue
        for imp in _imports(path):
            if imp.startswith(FORBIDDEN_FOR_SERVING):
                offenders.append(f"{name} imports {imp}")
    assert not offenders, "\n".join(offenders)


def test_no_import_cycles():
    edges = _internal_edges()
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_core_never_imports_streamlit():
    offenders = [name for name, path in _modules().items()
                 if any(imp.split(".")[0] == "streamlit" for imp in _imports(path))]
    assert not offenders


@pytest.mark.parametrize("path", APP_FILES, ids=lambda p: p.name)
def test_the_app_holds_no_model_logic(path):
    imports = {imp.split(".")[0] for imp in _imports(path)}
    assert not imports & {"torch", "json", "sklearn", "scipy", "safetensors"}, imports
    thresholds = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Compare):
            for side in [node.left, *node.comparators]:
                if isinstance(side, ast.Constant) and isinstance(side.value, float):
                    thresholds.append(f"line {node.lineno}: compares with {side.value}")
    assert not thresholds, f"{path.name} applies numeric thresholds (move them into mirloc_core): {thresholds}"


def _writes_environ(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
        for target in targets:
            if isinstance(target, ast.Subscript) and ast.unparse(target.value) == "os.environ":
                lines.append(node.lineno)
        if isinstance(node, ast.Call):
            func = ast.unparse(node.func)
            if func in ("os.putenv", "os.unsetenv") or (
                    func.startswith("os.environ.") and func.rsplit(".", 1)[1] in ("update", "setdefault", "pop",
                                                                                   "clear", "popitem")):
                lines.append(node.lineno)
    return lines


def test_library_code_never_writes_the_environment():
    offenders = {name: lines for name, path in _modules().items()
                 if (lines := _writes_environ(ast.parse(path.read_text())))}
    assert not offenders, offenders


def test_modules_and_functions_stay_small():
    too_long = []
    for name, path in _modules().items():
        text = path.read_text()
        n_lines = len(text.splitlines())
        if n_lines > MAX_MODULE_LINES:
            too_long.append(f"module {name}: {n_lines} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                size = node.end_lineno - node.lineno + 1
                if size > MAX_FUNCTION_LINES:
                    too_long.append(f"function {name}.{node.name}: {size} lines")
    assert not too_long, "\n".join(too_long)


def test_the_rules_catch_what_they_are_for(tmp_path):
    """The checks themselves: a cycle, an environment write and a page threshold are detected."""
    tree = ast.parse("import os\nos.environ['X'] = '1'\nos.environ.update(Y='2')\n")
    assert _writes_environ(tree) == [2, 3]
    page = tmp_path / "page.py"
    page.write_text("import torch\nfrom mirloc_core.training import cv\n")
    assert {"torch", "mirloc_core.training", "mirloc_core.training.cv"} <= _imports(page)
    compare = ast.parse("if p >= 0.5:\n    pass\n").body[0].test
    assert isinstance(compare.comparators[0], ast.Constant) and compare.comparators[0].value == 0.5
