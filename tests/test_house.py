"""The house keeps its shape: layers import only downward (function-level imports included),
no import cycles, analysis modules stand on their own, and no library module finds files
by climbing out of the package to the repository's root."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "clipviz"

# bottom to top: a module may import its own layer and the layers below it
LAYERS = [("clipviz._paths", "clipviz.seed", "clipviz.language", "clipviz.stats", "clipviz.references"),
          ("clipviz.data",),
          ("clipviz.world",),
          ("clipviz.core",),
          ("clipviz.evaluation",),
          ("clipviz.zoo",),
          ("clipviz.analysis",),
          ("clipviz.teaching",),
          ("clipviz.cli", "clipviz.__main__", "clipviz")]
ON_THEIR_OWN = "clipviz.analysis"     # its modules do not import each other


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Every module of the package that `path` imports, anywhere in it (functions included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found |= {f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names}
    return {m for m in found if m in known and m != name}


def import_graph(root: Path) -> dict[str, set[str]]:
    found = modules(root)
    return {name: imports(path, name, set(found)) for name, path in found.items()}


def layer_of(name: str) -> int:
    for index, layer in reversed(list(enumerate(LAYERS))):
        if any(name == prefix or name.startswith(prefix + ".") for prefix in layer if prefix != "clipviz"):
            return index
    return len(LAYERS) - 1          # the package's own __init__: the public API, on top


def upward_imports(graph) -> list[str]:
    return [f"{a} (layer {layer_of(a)}) imports {b} (layer {layer_of(b)})"
            for a, targets in graph.items() for b in sorted(targets) if layer_of(b) > layer_of(a)]


def imports_between_peers(graph) -> list[str]:
    def own(name):
        return name.startswith(ON_THEIR_OWN + ".")
    return [f"{a} imports {b}" for a, targets in graph.items() for b in sorted(targets) if own(a) and own(b)]


def cycles(graph) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def climbs_to_the_root(path: Path) -> list[str]:
    """Lines that reach above the package from `__file__` (`.parents[…]`, `.parent.parent`)."""
    problems = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):    # outer expressions first
        if isinstance(node, (ast.Attribute, ast.Subscript)) and node.lineno not in problems:
            text = ast.unparse(node)
            if "__file__" in text and (".parents" in text or ".parent.parent" in text):
                problems[node.lineno] = f"{path.name}:{node.lineno}: {text}"
    return [problems[line] for line in sorted(problems)]


def test_layers_import_only_downward():
    assert upward_imports(import_graph(PACKAGE)) == []


def test_no_import_cycles_even_through_function_level_imports():
    assert cycles(import_graph(PACKAGE)) == []


def test_analysis_modules_do_not_import_each_other():
    assert imports_between_peers(import_graph(PACKAGE)) == []


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_library_module_reads_the_repository_root(path):
    assert climbs_to_the_root(path) == []


def test_every_module_has_a_layer():
    top = len(LAYERS) - 1
    assert [name for name in modules(PACKAGE) if layer_of(name) == top
            and name not in ("clipviz", "clipviz.cli", "clipviz.__main__")] == []


# --- the checks themselves, on a made-up package -------------------------------------------
def write_package(root: Path, files: dict[str, str]) -> Path:
    package = root / "clipviz"
    for name, source in files.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return package


def test_the_checks_catch_a_cycle_an_upward_import_peers_and_a_climb(tmp_path):
    package = write_package(tmp_path, {
        "__init__.py": "",
        "core/__init__.py": "", "core/model.py": "def f():\n    from ..analysis import audit\n",
        "analysis/__init__.py": "", "analysis/audit.py": "from ..core import model\nfrom . import transfer\n",
        "analysis/transfer.py": "from pathlib import Path\nROOT = Path(__file__).resolve().parents[2]\n",
        "world/__init__.py": "from . import a\n", "world/a.py": "from . import b\n", "world/b.py": "import clipviz.world.a\n",
    })
    graph = import_graph(package)
    assert graph["clipviz.core.model"] == {"clipviz.analysis.audit"}          # found inside a function
    assert upward_imports(graph) == ["clipviz.core.model (layer 3) imports clipviz.analysis.audit (layer 6)"]
    assert sorted(cycles(graph)) == [["clipviz.analysis.audit", "clipviz.core.model"],
                                     ["clipviz.world.a", "clipviz.world.b"]]
    assert imports_between_peers(graph) == ["clipviz.analysis.audit imports clipviz.analysis.transfer"]
    assert climbs_to_the_root(package / "analysis" / "transfer.py") == [
        "transfer.py:2: Path(__file__).resolve().parents[2]"]
