"""The package's stages import only downwards: core <- report <- store <- live, batch <- ui <- cli;
inside core, its sub-stages too: image <- body <- measuring <- the pipeline (assessment, compare).

Computation stays apart from I/O and UI, so the app, the CLI and the batch runner stay thin.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "posture"
LEVEL = {"core": 0, "report": 1, "store": 2, "live": 3, "batch": 3, "ui": 4}
#: Inside core: errors, quiet and outputs sit under everything; the pipeline's own modules
#: (assessment, compare, metamorphic) on top of the three sub-stages.
CORE_LEVEL = {"errors": 0, "quiet": 0, "image": 1, "body": 2, "measuring": 3}
CORE_TOP = 4


def _imported_stages(path: Path) -> set[str]:
    stages = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.startswith("posture."):
            stages.add(node.module.split(".")[1])
        elif isinstance(node, ast.ImportFrom) and node.level >= 2:  # `from ..x import` climbs out of the stage
            stages.add((node.module or "").split(".")[0])
        elif isinstance(node, ast.Import):
            stages.update(a.name.split(".")[1] for a in node.names if a.name.startswith("posture."))
    return stages


def test_every_stage_imports_only_the_stages_below_it():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        stage = path.relative_to(PACKAGE).parts[0]
        if stage not in LEVEL:
            continue  # cli.py, __init__.py, __main__.py sit on top
        for other in _imported_stages(path) - {stage}:
            if other not in LEVEL or LEVEL[other] >= LEVEL[stage]:
                wrong.append(f"{path.relative_to(PACKAGE)} imports posture.{other}")
    assert wrong == []


def _core_place(parts: tuple[str, ...]) -> str:
    """"image", "body", "measuring", or the module's own name for core's top-level modules."""
    return parts[0] if len(parts) > 1 else parts[0].removesuffix(".py")


def _core_imports(path: Path) -> set[str]:
    """The core sub-stages (or top-level core modules) a core module imports."""
    places = set()
    own = path.relative_to(PACKAGE / "core").parts
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("posture.core."):
            places.add((node.module or "").split(".")[2])
        elif isinstance(node, ast.ImportFrom) and node.level == 1 and len(own) > 1:
            places.add(own[0])  # `from .x import` stays in its sub-stage
        elif isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            places.add(node.module.split(".")[0])  # a top-level core module: `from .errors import`
        elif isinstance(node, ast.ImportFrom) and node.level >= 1:
            raise AssertionError(f"{path}: relative import out of its sub-stage; import posture.core.<stage> instead")
    return places


def test_core_sub_stages_import_only_downwards():
    wrong = []
    for path in sorted((PACKAGE / "core").rglob("*.py")):
        parts = path.relative_to(PACKAGE / "core").parts
        if parts[-1] == "__init__.py":
            continue
        here = _core_place(parts)
        level = CORE_LEVEL.get(here, CORE_TOP)
        for other in _core_imports(path) - {here}:
            if CORE_LEVEL.get(other, CORE_TOP) >= level and not (level == CORE_TOP and other == "assessment"):
                wrong.append(f"core/{'/'.join(parts)} imports posture.core.{other}")
    assert wrong == []
    assert len(list((PACKAGE / "core").glob("*/*.py"))) > 10  # the sub-stages exist


def test_no_module_is_over_600_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600}
    assert long == {}


def test_the_checker_sees_an_upward_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("from posture.ui.widgets import get_store\nimport posture.store.records\n")
    assert _imported_stages(module) == {"ui", "store"}


# --- the store imports one way, and errors live in one place ---------------------------------

STORE = PACKAGE / "store"
ERRORS = PACKAGE / "core" / "errors.py"


def _imports_inside_functions(path: Path) -> list[str]:
    """`import posture...` or relative imports in a function body: the way an import circle is usually hidden."""
    found = []
    for func in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.ImportFrom) and (node.level > 0 or (node.module or "").startswith("posture")):
                found.append(f"{func.name}: from {'.' * node.level}{node.module or ''} import ...")
            elif isinstance(node, ast.Import) and any(a.name.startswith("posture") for a in node.names):
                found.append(f"{func.name}: import {', '.join(a.name for a in node.names)}")
    return found


def _store_modules_imported(path: Path) -> set[str]:
    """The store modules `path` imports anywhere, `if TYPE_CHECKING:` blocks included."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            names.update([node.module] if node.module else [a.name for a in node.names])
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("posture.store."):
            names.add(node.module.split(".")[2])
        elif isinstance(node, ast.ImportFrom) and node.module == "posture.store":
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name.split(".")[2] for a in node.names if a.name.startswith("posture.store."))
    return {n.split(".")[0] for n in names}


def _exception_classes(path: Path) -> list[str]:
    """Classes whose base is an exception by its name (…Error, …Exception, …Warning)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ClassDef):
            bases = [b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else "" for b in node.bases]
            if any(b.endswith(("Error", "Exception", "Warning")) for b in bases):
                found.append(node.name)
    return found


def test_the_store_imports_nothing_inside_its_functions():
    hidden = {str(p.relative_to(PACKAGE)): found for p in sorted(STORE.rglob("*.py")) if (found := _imports_inside_functions(p))}
    assert hidden == {}


def test_the_store_modules_import_one_way():
    graph = {p.stem: _store_modules_imported(p) for p in STORE.glob("*.py")}
    circles = []

    def visit(module: str, path: tuple[str, ...]) -> None:
        for imported in sorted(graph.get(module, set())):
            if imported in path:
                circles.append(" -> ".join((*path[path.index(imported):], imported)))
            else:
                visit(imported, (*path, imported))

    for module in sorted(graph):
        visit(module, (module,))
    assert circles == []


def test_exception_classes_are_defined_only_in_core_errors():
    elsewhere = {str(p.relative_to(PACKAGE)): found for p in sorted(PACKAGE.rglob("*.py"))
                 if p != ERRORS and (found := _exception_classes(p))}
    assert elsewhere == {}
    assert "StorageError" in _exception_classes(ERRORS)


def test_the_store_checkers_see_what_they_forbid(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("from typing import TYPE_CHECKING\n"
                      "if TYPE_CHECKING:\n    from .records import Store\n"
                      "def f():\n    from .records import Store\n    import posture.store.db\n    import json\n"
                      "class Refused(StorageError):\n    pass\n"
                      "class Fine:\n    pass\n")
    assert _imports_inside_functions(module) == ["f: from .records import ...", "f: import posture.store.db"]
    assert _store_modules_imported(module) == {"records", "db"}
    assert _exception_classes(module) == ["Refused"]
