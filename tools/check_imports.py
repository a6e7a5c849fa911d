#!/usr/bin/env python3
"""Checks the import structure of the embedded server (python/dolphindb/server).

Fails (exit 1, with the offending path printed) when
- the modules of the server import each other in a cycle, counting every import, also the ones
  inside functions (a deferred import hides a cycle from Python, not from the reader);
- a layer imports one it must not: `lang` never imports `wire` or `node`, `storage` never imports
  `lang`, `model` and `errors` import nothing above them, `wire` only `model` and `errors`.

Standard library only: the modules are parsed with `ast`, never imported.
    python3 tools/check_imports.py [SERVER_DIR]
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = "dolphindb.server"

# layer -> layers it must not import (a layer is the first component below the package)
FORBIDDEN = {
    "errors": {"model", "wire", "lang", "node", "storage", "cluster"},
    "model": {"wire", "lang", "node", "storage", "cluster"},
    "wire": {"lang", "node", "storage", "cluster"},
    "lang": {"wire", "node", "cluster"},
    "storage": {"lang", "wire", "node", "cluster"},
    "node": {"cluster"},
}


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGE, *parts])


def imported_modules(name: str, is_package: bool, tree: ast.AST, known: set[str]) -> list[tuple[str, int]]:
    """The server modules `name` imports, with the line of each import."""
    package = name if is_package else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            # `from . import codec` imports the module codec; `from .values import INT` imports values
            targets = [f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in known else stem for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and target.startswith(PACKAGE):
                found.append((target, node.lineno))
    return found


def layer(name: str) -> str:
    rest = name[len(PACKAGE) + 1:]
    return rest.split(".")[0] if rest else ""


def find_cycles(graph: dict[str, set[str]]) -> list[tuple[set[str], list[str]]]:
    """Each strongly connected component of more than one module, with one cycle through it."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def connect(node: str) -> None:      # Tarjan; the server's graph is shallow enough to recurse
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return [(component, _cycle_within(graph, component)) for component in components]


def _cycle_within(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A shortest path from the component's first module back to itself (breadth-first)."""
    start = min(component)
    previous = {start: None}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node] & component):
            if nxt == start:
                path = [node]
                while previous[path[-1]] is not None:
                    path.append(previous[path[-1]])
                return list(reversed(path)) + [start]
            if nxt not in previous:
                previous[nxt] = node
                queue.append(nxt)
    raise AssertionError("a strongly connected component without a cycle")


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent / "python/dolphindb/server"
    files = {module_name(root, path): path for path in sorted(root.rglob("*.py"))}
    known = set(files)
    graph: dict[str, set[str]] = {}
    lines: dict[tuple[str, str], int] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(), str(path))
        graph[name] = set()
        for target, lineno in imported_modules(name, path.name == "__init__.py", tree, known):
            # a package's __init__ importing its own submodules is how it re-exports them
            if path.name == "__init__.py" and target.startswith(name + "."):
                continue
            graph[name].add(target)
            lines.setdefault((name, target), lineno)
    problems = []
    for name, targets in sorted(graph.items()):
        for target in sorted(targets):
            if layer(target) in FORBIDDEN.get(layer(name), ()):
                problems.append(f"layer: {name} imports {target} "
                                f"({files[name].relative_to(root)}:{lines[name, target]})")
    for component, cycle in find_cycles(graph):
        steps = [f"{a}  ({files[a].relative_to(root)}:{lines[a, b]})" for a, b in zip(cycle, cycle[1:])]
        members = ", ".join(sorted(name[len(PACKAGE) + 1:] for name in component))
        problems.append(f"import cycle among {len(component)} modules ({members}), for example:\n    "
                        + "\n -> ".join(steps) + f"\n -> {cycle[-1]}")
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(f"{len(files)} modules, {sum(map(len, graph.values()))} imports: no cycle, layers respected")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
