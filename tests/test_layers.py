"""The layers import one way: _internal -> network -> dr -> observability -> cell (DESIGN.md 2).

``dr`` is below ``observability`` since the stack's standby reuses its Aurora global database
(issue 19); DESIGN.md 2 listed it above, before the stack had a DR of its own.

Pure modules (``_internal``) create no resources, so they import neither the layers nor the
Pulumi provider SDKs; ``testing``, ``cli``, ``guardrails``, ``ops`` and ``diagram`` are leaves
that no layer imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "obs_platform"
ORDER = ["_internal", "network", "dr", "observability", "cell"]
LEAVES = {"testing", "cli", "guardrails", "ops", "diagram"}
# Packages that belong to a layer named differently: cells/ holds cell.py's concerns.
ALIASES = {"cells": "cell"}


def _layer(module: str) -> str:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else ""
    return ALIASES.get(top, top)


def _imports(path: Path) -> set[str]:
    package = "obs_platform." + ".".join(path.relative_to(SRC).with_suffix("").parts)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: -node.level]
                found.add(".".join([*base, node.module] if node.module else base))
            elif node.module:
                found.add(node.module)
    return found


def _modules(layer: str) -> list[Path]:
    found: list[Path] = []
    for name in [layer, *(alias for alias, target in ALIASES.items() if target == layer)]:
        single = SRC / f"{name}.py"
        found += [single] if single.exists() else sorted((SRC / name).rglob("*.py"))
    return found


@pytest.mark.parametrize("layer", ORDER)
def test_layers_import_only_downwards(layer: str) -> None:
    allowed = set(ORDER[: ORDER.index(layer) + 1]) | {"_component", "_version", ""}
    for path in _modules(layer):
        for module in _imports(path):
            if not module.startswith("obs_platform"):
                continue
            target = _layer(module)
            assert target not in LEAVES, f"{path.name} imports the leaf {module}"
            assert target in allowed, f"{path.relative_to(SRC)} imports {module} (upwards)"


def test_cell_layer_includes_its_concern_modules() -> None:
    names = {path.relative_to(SRC).as_posix() for path in _modules("cell")}
    assert "cell.py" in names
    assert {"cells/network.py", "cells/compute.py", "cells/data.py"} <= names
    assert _layer("obs_platform.cells.network") == "cell"


def test_pure_modules_create_no_resources() -> None:
    for path in _modules("_internal"):
        for module in _imports(path):
            assert not module.startswith(("pulumi_aws", "pulumi_eks", "pulumi_kubernetes")), (
                f"_internal/{path.name} imports {module}: pure modules create no resources"
            )


def test_cell_concern_modules_do_not_import_cell_py() -> None:
    # The args model lives in cells/args.py so that the concern modules import it without a
    # cycle back into cell.py (which imports them).
    for path in sorted((SRC / "cells").rglob("*.py")):
        assert "obs_platform.cell" not in _imports(path), (
            f"{path.relative_to(SRC)} imports obs_platform.cell: import from cells.args instead"
        )
