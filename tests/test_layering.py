"""The package's stages import only downwards: core <- report <- store <- live, batch <- ui <- cli.

Computation stays apart from I/O and UI, so the app, the CLI and the batch runner stay thin.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "posture"
LEVEL = {"core": 0, "report": 1, "store": 2, "live": 3, "batch": 3, "ui": 4}


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


def test_the_checker_sees_an_upward_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("from posture.ui.widgets import get_store\nimport posture.store.records\n")
    assert _imported_stages(module) == {"ui", "store"}
