"""The layout stays what README.md describes: no import cycles, small modules, the folder
table true to the tree."""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Collection, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ["bots", "core_agent", "tasks", "workers", "media", "models", "evaluation"]
MAX_LINES = 400


def modules(*folders: str) -> dict[str, Path]:
    """Dotted module name -> file, for every Python file under the folders."""
    found = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported(tree: ast.Module, name: str, is_package: bool, ours: Collection[str]
             ) -> Iterator[str]:
    """Every module name an import in the file names, wherever it is (a function-local
    import or one for type checkers only is still a dependency)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the file's own package upwards
                package = name.split(".")[:len(name.split(".")) - node.level + is_package]
                base = ".".join([*package, *([base] if base else [])])
            # `from package import module` names the module; the package's own
            # `__init__` runs for any of its modules and is no edge of its own.
            yield from (f"{base}.{alias.name}" for alias in node.names)
            if not all(f"{base}.{alias.name}" in ours for alias in node.names):
                yield base


def import_graph() -> dict[str, set[str]]:
    """Our modules and the modules of ours each one imports."""
    ours = modules(*SOURCE)
    graph = {}
    for name, path in ours.items():
        tree = ast.parse(path.read_text(), str(path))
        is_package = path.name == "__init__.py"
        graph[name] = {target for target in imported(tree, name, is_package, ours)
                       if target in ours and target != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while (top := stack.pop()) != node:
                group.append(top)
            if group:
                groups.append(sorted([node, *group]))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_no_module_imports_itself_round_about() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_is_over_the_size_limit() -> None:
    too_long = {str(path.relative_to(ROOT)): lines
                for path in modules(*SOURCE, "tests", "bench").values()
                if (lines := len(path.read_text().splitlines())) > MAX_LINES}
    assert too_long == {}


def test_the_readme_layout_table_matches_the_tree() -> None:
    readme = (ROOT / "README.md").read_text()
    listed = set(re.findall(r"^\| `([a-z_]+)/`", readme, re.M))
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    assert packages <= listed, packages - listed
    assert all((ROOT / folder).is_dir() for folder in listed), listed


def test_every_image_carries_every_package() -> None:
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    for image in (ROOT / "docker").glob("Dockerfile*"):
        copied = set(re.findall(r"^COPY ([a-z_]+) \1$", image.read_text(), re.M))
        assert copied == packages, (image.name, packages ^ copied)


def test_every_task_folder_is_listed_and_whole() -> None:
    """A task is its folder and its line in ORDER: a folder left out of ORDER would never
    be offered, and one without its spec, backends or step would fail only when used."""
    from tasks import ORDER, TASKS
    from tasks.base import TaskSpec

    folders = {p.parent.name for p in (ROOT / "tasks").glob("*/__init__.py")}
    assert folders == set(ORDER) == set(TASKS)
    for task in ORDER:
        assert {"__init__.py", "backends.py", "step.py"} <= {
            p.name for p in (ROOT / "tasks" / task).iterdir()}, task
        assert isinstance(TASKS[task], TaskSpec) and TASKS[task].id == task


BUILTIN_ERRORS = {name for name in dir(builtins)
                  if isinstance(getattr(builtins, name), type)
                  and issubclass(getattr(builtins, name), BaseException)}
# The root itself, and what is no error anyone causes: a stop asked for, and the LLM
# planner's own retry signal.
ROOTS = {("core_agent/errors.py", "AudioGPTError"), ("models/stop.py", "Stopped"),
         ("core_agent/planning/llm.py", "_Malformed")}


def test_every_error_is_of_the_one_hierarchy() -> None:
    """Every exception class derives from AudioGPTError (core_agent/errors.py), so each has
    a stable code and a message fit to show; none starts a hierarchy of its own."""
    strays = []
    for path in modules(*SOURCE).values():
        name = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and (name, node.name) not in ROOTS and any(
                    isinstance(b, ast.Name) and b.id in BUILTIN_ERRORS for b in node.bases):
                strays.append(f"{name}:{node.name}")
    assert strays == []
