"""The shape of the package: modules, the largest module and function, import cycles.

Prints the figures the house issue asked for (no module over 700 lines, no function over 80 lines of code,
no import cycle). A function's length counts its lines from ``def`` to its last line, less its docstring
(numpy-style docstrings with examples are documentation, not logic). Alembic revisions (``migrations/versions/``)
are left out: each is the DDL of one schema change, written once and never edited.

    python benchmarks/layout.py [PACKAGE_DIR]   # default: this checkout's circles/
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent / "circles"
MAX_MODULE, MAX_FUNCTION = 700, 80


def _code_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    length = node.end_lineno - node.lineno + 1
    doc = node.body[0] if node.body else None
    if isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant) and isinstance(doc.value.value, str):
        length -= doc.end_lineno - doc.lineno + 1
    return length


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def main(argv: list[str]) -> int:
    global ROOT
    if argv:
        ROOT = Path(argv[0]).resolve()
    modules = sorted(p for p in ROOT.rglob("*.py") if p.parent.parts[-2:] != ("migrations", "versions"))
    graph = nx.DiGraph()
    sizes, functions = {}, []
    for path in modules:
        text = path.read_text(encoding="utf-8")
        name = _module_name(path)
        sizes[name] = len(text.splitlines())
        tree = ast.parse(text)
        graph.add_node(name)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                functions.append((_code_lines(node), f"{name}.{node.name}"))
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("circles"):
                if node.level == 0 and node.module != name:
                    graph.add_edge(name, node.module)
    # a package's __init__ re-exporting its own modules is not a cycle between modules
    module_graph = nx.DiGraph((a, b) for a, b in graph.edges if not (b.startswith(a + ".") or a.startswith(b + ".")))
    cycles = list(nx.simple_cycles(module_graph))
    big = {n: s for n, s in sizes.items() if s > MAX_MODULE}
    long = sorted((f for f in functions if f[0] > MAX_FUNCTION), reverse=True)
    largest = max(sizes.items(), key=lambda kv: kv[1])
    print(f"modules: {len(modules)}  lines: {sum(sizes.values()):,}")
    print(f"largest module: {largest[0]} ({largest[1]} lines)")
    print(f"largest function: {max(functions)[1]} ({max(functions)[0]} lines of code)")
    print(f"modules over {MAX_MODULE} lines: {len(big)} {big or ''}")
    print(f"functions over {MAX_FUNCTION} lines of code: {len(long)} {[f'{n} ({k})' for k, n in long] or ''}")
    print(f"import cycles between modules: {len(cycles)} {cycles or ''}")
    return 1 if big or long or cycles else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
