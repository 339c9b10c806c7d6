"""The layout is the architecture (docs/architecture.md): a test keeps it so.

- core/ knows no capability and no plugin: it imports only itself.
- No capability imports the CLI; no built-in plugin does either.
- No import circle anywhere in src/clientcard.

Imports needed only for annotations (under ``if TYPE_CHECKING:``) do not
count: they never run.  Imports inside functions (kept out of start-up) do
count for the layers, not for circles, since they run after every module
has loaded.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).parent.parent / "src"
PACKAGE = SRC / "clientcard"
CAPABILITIES = (
    "actions",
    "activity",
    "card",
    "customers",
    "dedupe",
    "fields",
    "find",
    "forms",
    "status",
    "transfer",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(name: str, *, top_level_only: bool) -> set[str]:
    """The clientcard modules ``name`` imports (a ``from X import y`` of a submodule
    counts as importing ``X.y``)."""
    found: set[str] = set()

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                for other in child.orelse:
                    visit(other, top)
                continue
            inside = top and not isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
            )
            if isinstance(child, ast.Import) and (inside or not top_level_only):
                found.update(a.name for a in child.names if a.name.startswith("clientcard"))
            elif isinstance(child, ast.ImportFrom) and (inside or not top_level_only):
                # (no module imports relatively: test_imports_are_absolute)
                base = child.module or ""
                if base.startswith("clientcard"):
                    found.add(base)
                    for alias in child.names:
                        if f"{base}.{alias.name}" in MODULES:
                            found.add(f"{base}.{alias.name}")
            visit(child, inside)

    visit(ast.parse(MODULES[name].read_text()), True)
    return {m for m in found if m in MODULES and m != name}


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "clientcard"


def test_the_map_in_the_architecture_names_every_package() -> None:
    text = (SRC.parent / "docs" / "architecture.md").read_text()
    the_map = text.split("## The map", 1)[1].split("```")[1]
    for package in ("core", "plugins", "cli", *CAPABILITIES):
        assert f"clientcard.{package}" in MODULES, package
        assert f"\n  {package}/ " in the_map, package
    on_disk = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert on_disk == {"core", "plugins", "cli", *CAPABILITIES}


def test_core_imports_no_capability_and_no_plugin() -> None:
    wrong = [
        (module, imported)
        for module in MODULES
        if layer(module) == "core"
        for imported in imports(module, top_level_only=False)
        if layer(imported) != "core"
    ]
    assert wrong == []


def test_no_capability_or_plugin_imports_the_cli() -> None:
    wrong = [
        (module, imported)
        for module in MODULES
        if layer(module) in (*CAPABILITIES, "plugins", "core")
        for imported in imports(module, top_level_only=False)
        if layer(imported) == "cli"
    ]
    assert wrong == []


def test_no_import_circle() -> None:
    graph = {module: imports(module, top_level_only=True) for module in MODULES}
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done
    path: list[str] = []

    def walk(module: str) -> None:
        state[module] = 1
        path.append(module)
        for imported in sorted(graph[module]):
            if state.get(imported) == 1:
                circles.append([*path[path.index(imported) :], imported])
            elif imported not in state:
                walk(imported)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module)
    assert circles == []


def test_imports_are_absolute() -> None:
    relative = [
        module
        for module, path in MODULES.items()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and node.level
    ]
    assert relative == []


def test_the_checks_see_imports() -> None:
    # guards the guard: the parser finds what it must judge
    assert "clientcard.core.context" in imports("clientcard.workspace", top_level_only=True)
    assert "clientcard.customers.service" in imports("clientcard.workspace", top_level_only=True)
    service = "clientcard.transfer.service"
    assert "clientcard.transfer.customers_import" in imports(service, top_level_only=False)
    assert "clientcard.transfer.customers_import" not in imports(service, top_level_only=True)
