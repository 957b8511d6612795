"""Generate the documentation pages that must follow the code (run by ``conf.py``).

``python docs/generate.py`` runs it alone. Everything lands in ``docs/_generated/``:

- ``reference/*.rst``: one page per area of ``obs_platform.__all__``, plus ``obs_platform.testing``
  and ``obs_platform.diagram``;
- ``cli.md``: the help text of every ``obs-platform`` command;
- ``examples/<name>.svg`` and ``examples/<name>.plan.txt``: each example run under the offline
  engine, drawn with graphviz, and its ``obs-platform plan`` output.

Files are rewritten only when their content changes, so incremental builds stay incremental.
"""

from __future__ import annotations

import enum
import importlib
import inspect
import io
import os
import shutil
import sys
from contextlib import redirect_stdout
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
EXAMPLES = ROOT / "examples"

# Area of the public API -> (page title, introduction). The area of a name is the first package
# of the module that defines it (see obs_platform._LAZY); names outside _LAZY are "core".
AREAS: dict[str, tuple[str, str]] = {
    "network": ("Network", "IPAM pools and the Transit Gateway network core."),
    "observability": ("Observability", "The shared observability stack on EKS."),
    "dr": ("Disaster recovery", "Pilot-light DR between a primary and a standby region."),
    "cell": ("Cells", "One region's application footprint."),
    "core": ("Errors and version", "What every component shares."),
}


def _write(path: Path, text: str) -> None:
    """Write ``text`` when it differs, atomically (two builds may run at once under xdist)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def _directive(module: str, name: str, obj: object) -> str:
    """Return the autodoc directive that documents ``module.name``."""
    from pydantic import BaseModel

    target = f"{module}.{name}"
    if inspect.isclass(obj):
        if issubclass(obj, BaseModel):
            return f".. autopydantic_model:: {target}\n"
        if issubclass(obj, BaseException):
            return f".. autoexception:: {target}\n"
        if issubclass(obj, enum.Enum):
            return f".. autoclass:: {target}\n   :members:\n   :undoc-members:\n"
        token = getattr(obj, "TYPE_TOKEN", None)
        if isinstance(token, str):
            return (
                f".. autoclass:: {target}\n   :members:\n   :exclude-members: ARGS_TYPE\n\n"
                f"   **Type token:** ``{token}``. **Args:** :class:`{module}."
                f"{obj.ARGS_TYPE.__name__}`.\n"
            )
        return f".. autoclass:: {target}\n   :members:\n"
    if inspect.isfunction(obj):
        return f".. autofunction:: {target}\n"
    return f".. autodata:: {target}\n   :annotation:\n"


def _load(name: str) -> object:
    """Return ``obs_platform.<name>``; ``None`` when it cannot be imported.

    The page still gets the directive (as a class), and autodoc's import failure then fails the
    ``-W`` build, naming the missing module.
    """
    import obs_platform

    try:
        return getattr(obs_platform, name)
    except ImportError as exc:
        print(f"warning: obs_platform.{name} cannot be imported: {exc}", file=sys.stderr)
        return type(name, (), {})


def _area_of(name: str) -> str:
    import obs_platform

    module = obs_platform._LAZY.get(name)
    if module is None:
        return "core"
    area = module.split(".")[1]
    return area if area in AREAS else "core"


def reference_pages(out: Path) -> list[str]:
    """Write one reference page per area; return the page names in toctree order."""
    import obs_platform

    by_area: dict[str, list[str]] = {area: [] for area in AREAS}
    for name in obs_platform.__all__:
        by_area[_area_of(name)].append(name)
    pages: list[str] = []
    for area, names in by_area.items():
        if not names:
            continue
        title, intro = AREAS[area]
        lines = [title, "=" * len(title), "", intro, "", ".. currentmodule:: obs_platform", ""]
        ordered = sorted(names, key=lambda n: (n.startswith("_"), _rank(n), n))
        for name in ordered:
            lines.append(_directive("obs_platform", name, _load(name)))
        _write(out / "reference" / f"{area}.rst", "\n".join(lines))
        pages.append(area)

    from obs_platform import testing

    lines = [
        "Offline engine (``obs_platform.testing``)",
        "=" * len("Offline engine (``obs_platform.testing``)"),
        "",
        ".. automodule:: obs_platform.testing",
        "   :no-members:",
        "",
        ".. currentmodule:: obs_platform.testing",
        "",
    ]
    for name in testing.__all__:
        lines.append(_directive("obs_platform.testing", name, getattr(testing, name)))
    _write(out / "reference" / "testing.rst", "\n".join(lines))
    pages.append("testing")

    title = "Diagram (``obs_platform.diagram``)"
    lines = [
        title,
        "=" * len(title),
        "",
        ".. automodule:: obs_platform.diagram",
        "   :members:",
        "   :exclude-members: FORMATS",
        "",
        ".. autodata:: obs_platform.diagram.FORMATS",
        "   :no-value:",
        "",
    ]
    _write(out / "reference" / "diagram.rst", "\n".join(lines))
    pages.append("diagram")
    return pages


def _rank(name: str) -> int:
    """Components first, then their args, then the rest (sharing specs, enums)."""
    if name.endswith("Args"):
        return 1
    obj = _load(name)
    type_token = getattr(obj, "TYPE_TOKEN", None)
    return 0 if isinstance(type_token, str) else 2


def cli_page(out: Path) -> None:
    """Write the command-line reference from the argument parser."""
    from obs_platform.cli import build_parser

    parser = build_parser()
    parser.prog = "obs-platform"
    lines = [
        "# Command line",
        "",
        "The `obs-platform` command is installed with the package. Every command works "
        "offline unless its help says otherwise.",
        "",
        "```text",
        parser.format_help().rstrip(),
        "```",
        "",
    ]
    subparsers = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for command, sub in subparsers.choices.items():  # type: ignore[attr-defined]
        lines += [
            f"## `obs-platform {command}`",
            "",
            "```text",
            sub.format_help().rstrip(),
            "```",
            "",
        ]
    _write(out / "cli.md", "\n".join(lines))


def examples(out: Path) -> list[str]:
    """Run each example offline; write its plan output and its diagram. Return their names."""
    from obs_platform.diagram import build_diagram, render
    from obs_platform.testing import run_program
    from obs_platform.testing.render import render_plan

    names = []
    for program in sorted(p.parent for p in EXAMPLES.glob("*/Pulumi.yaml")):
        plan = run_program(program)
        _write(out / "examples" / f"{program.name}.plan.txt", render_plan(plan))
        dot_text = out / "examples" / f"{program.name}.dot"
        svg = out / "examples" / f"{program.name}.svg"
        _write(dot_text, build_diagram(plan).to_dot())
        if shutil.which("dot") is None:
            print(f"warning: graphviz 'dot' not found; {svg.name} not drawn", file=sys.stderr)
        elif not svg.exists() or svg.stat().st_mtime < dot_text.stat().st_mtime:
            partial = svg.with_name(f".{svg.stem}.{os.getpid()}.svg")
            render(plan, partial)
            os.replace(partial, svg)
        names.append(program.name)
    return names


def generate_all(out: Path) -> None:
    """Generate every page and picture under ``out``."""
    sys.path.insert(0, str(ROOT / "src"))
    importlib.invalidate_caches()
    with redirect_stdout(io.StringIO()):
        reference_pages(out)
        cli_page(out)
        examples(out)


if __name__ == "__main__":
    generate_all(DOCS / "_generated")
    print(f"generated under {DOCS / '_generated'}")
