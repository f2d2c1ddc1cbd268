"""The package layout: no import cycle, and every import follows the order in the README's layout.

Two views of the same rule. Statically, every `import` in the production packages (at module level,
inside functions and under `TYPE_CHECKING` alike) is an edge of a module graph that must have no
cycle and must only point down the layers below. At run time, every module is imported on its own
(the project's modules cleared from `sys.modules` before each), so a module that only imports
because another one happened to be imported first fails here.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("gridwatch", "ingest", "models", "detectors", "edge", "api")

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("core", ("gridwatch",)),
    ("ingest", ("ingest",)),
    ("models", ("models",)),
    ("detectors", ("detectors",)),
    ("acquisition", ("models.pull", "models.ultralytics_import", "models.ensure")),
    ("edge", ("edge",)),
    ("api", ("api",)),
    ("commands", ("gridwatch.cli", "gridwatch.demo", "gridwatch.demo_console", "gridwatch.doctor",
                  "gridwatch.cameras", "gridwatch.fleet", "gridwatch.gridgen", "gridwatch.sensorsim",
                  "gridwatch.__main__")),
)  # fmt: skip
"""Lowest first; a module belongs to the layer of its longest matching prefix. A module may import its
own layer and the layers before it, except that `edge` and `api` never import each other. The
command-line modules of each package (`cli`, `*_cli`) belong to `commands`, which may import any layer."""

RANK = {name: rank for rank, (name, _) in enumerate(LAYERS)}
SIBLINGS = {frozenset({"edge", "api"})}
SKIPPED = ("api.migrations",)
"""Alembic revisions and environment: loaded by Alembic, not imported."""


def modules() -> dict[str, Path]:
    """Every production module by dotted name (packages by their own name)."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            if not name.startswith(SKIPPED):
                found[name] = path
    return found


MODULES = modules()


def layer(module: str) -> str:
    """The layer a module belongs to."""
    if module.rpartition(".")[2] == "cli" or module.endswith("_cli"):
        return "commands"
    best = max(
        ((name, prefix) for name, prefixes in LAYERS for prefix in prefixes if _under(module, prefix)),
        key=lambda pair: len(pair[1]),
    )
    return best[0]


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _resolve(name: str) -> str | None:
    """The project module an imported name lives in (a package for a name its __init__ exports)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports(module: str) -> Iterator[str]:
    """The project modules `module` imports, anywhere in its source."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        for name in names:
            target = _resolve(name)
            if target is not None and target != module:
                yield target


GRAPH = {module: set(imports(module)) for module in MODULES}


def test_the_layers_cover_every_package() -> None:
    assert {layer(module) for module in MODULES} >= {"core", "ingest", "models", "detectors", "edge", "api"}
    assert layer("gridwatch.contracts.alert") == "core"
    assert layer("models.pull") == "acquisition"
    assert layer("edge.outbox_cli") == layer("gridwatch.doctor.box") == "commands"


def _allowed(source: str, target: str) -> bool:
    here, there = layer(source), layer(target)
    if frozenset({here, there}) in SIBLINGS:
        return False
    return here in (there, "commands") or RANK[there] < RANK[here]


def test_every_import_points_down_the_layers() -> None:
    wrong = sorted(
        f"{source} ({layer(source)}) imports {target} ({layer(target)})"
        for source, targets in GRAPH.items()
        for target in targets
        if not _allowed(source, target)
    )
    assert wrong == []


def test_there_is_no_import_cycle() -> None:
    """Tarjan's strongly connected components of the module graph: each must be one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(GRAPH[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = stack[stack.index(node) :]
            del stack[stack.index(node) :]
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    assert cycles == []


ISOLATED = """
import importlib, sys
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m.split(".")[0] in {packages}]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(f"{{name}}: {{type(exc).__name__}}: {{exc}}")
print("\\n".join(failed))
"""


@pytest.mark.slow
@pytest.mark.parametrize("package", PACKAGES)
def test_each_module_imports_on_its_own(package: str) -> None:
    """Each module of the package in turn, with every project module unloaded before it."""
    names = [m for m in MODULES if m.split(".")[0] == package and m != "gridwatch.__main__"]
    script = ISOLATED.format(packages=set(PACKAGES))
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", script, *names],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == ""


def test_the_edge_config_imports_no_runtime_module_of_the_edge() -> None:
    """`edge.config` owns every section; runtime modules import it, never the reverse (only the rules'
    own configs, in `edge.rules`, which imports nothing else of the edge, are taken from there)."""
    config = {m for m in GRAPH if _under(m, "edge.config")}
    rules = {m for m in GRAPH if _under(m, "edge.rules")}
    wrong = sorted(
        f"{source} imports {target}"
        for source in config | rules
        for target in GRAPH[source]
        if _under(target, "edge") and target not in config | rules
    )
    assert wrong == []
    assert not any(_under(target, "edge.config") for source in rules for target in GRAPH[source])


API_TIERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("foundation", ("api",)),
    ("services", ("api.services",)),
    ("jobs", ("api.context", "api.jobs")),
    ("http", ("api.deps", "api.routes", "api.console")),
    ("app", ("api.app", "api.server")),
)
"""Inside `api`, lowest first, as the README's layout lists them: the foundation (`api.logic`, `api.orm`,
`api.schemas`, `api.storage` and the small top-level modules: errors, settings, db, live, ...), the
services, the running instance and its units of work (`api.context`, `api.jobs`), the HTTP layer
(`api.deps`, `api.routes`, `api.console`) and the app factory. The command-line modules are `commands`."""


def api_tier(module: str) -> int:
    """The rank of an `api` module's tier (the longest matching prefix wins)."""
    return max(
        (
            (rank, prefix)
            for rank, (_, prefixes) in enumerate(API_TIERS)
            for prefix in prefixes
            if _under(module, prefix)
        ),
        key=lambda pair: len(pair[1]),
    )[0]


def test_api_imports_point_down_its_tiers() -> None:
    inside = [m for m in MODULES if m.split(".")[0] == "api" and layer(m) == "api"]
    assert {API_TIERS[api_tier(m)][0] for m in inside} == {name for name, _ in API_TIERS}
    wrong = sorted(
        f"{source} ({API_TIERS[api_tier(source)][0]}) imports {target} ({API_TIERS[api_tier(target)][0]})"
        for source in inside
        for target in GRAPH[source]
        if target.split(".")[0] == "api" and layer(target) == "api" and api_tier(target) > api_tier(source)
    )
    assert wrong == []


def test_api_routes_stay_out_of_each_other_and_of_app_state() -> None:
    """A router module imports no other router module (shared helpers live in `api.routes.bodies`), and
    no route or page reaches `app.state` (they use the dependencies of `api.deps`)."""
    helpers = {"api.routes", "api.routes.bodies"}
    routes = [m for m in MODULES if _under(m, "api.routes") and m not in helpers]
    assert sorted(f"{m} imports {t}" for m in routes for t in GRAPH[m] if t in routes) == []
    reaching = [m for m in MODULES if _under(m, "api.routes") or _under(m, "api.console")]
    assert [m for m in reaching if "app.state" in MODULES[m].read_text("utf-8")] == []
