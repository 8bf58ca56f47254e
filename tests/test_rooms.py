"""Imports run one way between the rooms (see each package's docstring): a module may import
only the rooms listed for its own. Read with Python's own parser, imports inside functions
included, so a cycle cannot be dodged by importing late."""
from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOMS = ("warehouse", "reports", "analyst", "workbench", "assets", "pipelines", "demo")
MAY_IMPORT = {
    "warehouse": set(),
    "reports": {"warehouse"},
    "demo": set(),
    "analyst": {"warehouse", "reports"},
    "workbench": {"warehouse", "analyst"},
    "assets": {"warehouse", "reports", "analyst", "workbench"},
    "pipelines": {"warehouse", "reports", "analyst", "workbench", "assets", "demo"},
}


def rooms_imported(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & set(ROOMS)


def test_every_room_has_a_docstring_saying_what_lives_there():
    for room in ROOMS:
        assert ast.get_docstring(ast.parse((REPO / room / "__init__.py").read_text())), f"{room}/__init__.py"


def test_imports_run_one_way_between_rooms():
    wrong = []
    for room in ROOMS:
        for path in sorted((REPO / room).rglob("*.py")):
            for other in rooms_imported(path) - {room} - MAY_IMPORT[room]:
                wrong.append(f"{path.relative_to(REPO)} imports {other}")
    assert not wrong, "\n".join(wrong)


def test_the_allowed_imports_have_no_cycle():
    import graphlib
    graphlib.TopologicalSorter(MAY_IMPORT).static_order()  # raises CycleError on a cycle
