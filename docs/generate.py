"""Generate the documentation pages that must follow the code (run by ``conf.py``).

``python docs/generate.py`` runs it alone. Everything lands in ``docs/_generated/``:

- ``reference/*.rst``: one page per area of ``obs_platform.__all__``, plus ``obs_platform.testing``
  and ``obs_platform.diagram``;
- ``cli.md``: the help text of every ``obs-platform`` command;
- ``examples/<name>.svg`` and ``examples/<name>.plan.txt``: each example run under the offline
  engine, drawn with graphviz, and its ``obs-platform plan`` output.

Files are rewritten only when their content changes, so incremental builds stay incremental.

``python docs/generate.py --readmes`` refreshes the plan output pasted at the end of each
example's ``README.md`` (after the ``<!-- plan-output -->`` line).
"""

from __future__ import annotations

import argparse
import ast
import enum
import functools
import importlib
import inspect
import io
import os
import re
import shutil
import sys
import typing
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

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
            # autodoc-pydantic documents fields and validators, not properties: add them.
            properties = [
                f"\n.. autoproperty:: {target}.{member}\n"
                for member, value in vars(obj).items()
                if isinstance(value, property) and not member.startswith("_")
            ]
            return (
                f".. autopydantic_model:: {target}\n   :inherited-members: BaseModel\n"
                + "".join(properties)
            )
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


def _is_model(obj: object) -> bool:
    from pydantic import BaseModel

    return isinstance(obj, type) and issubclass(obj, BaseModel)


def _area_of(name: str) -> str:
    import obs_platform

    module = obs_platform._LAZY.get(name)
    if module is None:
        return "core"
    area = module.split(".")[1]
    return area if area in AREAS else "core"


def _classes_in(annotation: object) -> list[type]:
    """Return the classes inside a type annotation (``list[DrSite] | None`` -> ``[DrSite]``)."""
    found: list[type] = []
    if isinstance(annotation, type) and not typing.get_args(annotation):
        found.append(annotation)
    for arg in typing.get_args(annotation):
        found += _classes_in(arg)
    return found


def _public_path(cls: type) -> str:
    """Return the shortest documented path of ``cls``: a public module exporting it, else own."""
    candidates = [cls.__module__]
    for name, module in list(sys.modules.items()):
        if not name.startswith("obs_platform.") or module is None:
            continue
        if (
            cls.__name__ in getattr(module, "__all__", ())
            and getattr(module, cls.__name__, None) is cls
        ):
            candidates.append(name)
    public = [c for c in candidates if not any(part.startswith("_") for part in c.split("."))]
    return min(public or candidates, key=lambda c: (len(c.split(".")), c)) + "." + cls.__name__


def supporting_types(models: list[type]) -> list[type]:
    """Return the models and enums reachable from public args fields that are not public."""
    from pydantic import BaseModel

    import obs_platform

    public = {id(_load(name)) for name in obs_platform.__all__}
    seen: list[type] = []
    queue = list(models)
    while queue:
        model = queue.pop(0)
        for field in model.model_fields.values():  # type: ignore[attr-defined]
            for cls in _classes_in(field.annotation):
                if (
                    id(cls) in public
                    or cls in seen
                    or not cls.__module__.startswith("obs_platform")
                    or not issubclass(cls, BaseModel | enum.Enum)
                ):
                    continue
                seen.append(cls)
                if issubclass(cls, BaseModel):
                    queue.append(cls)
    return seen


def value_types(models: list[type]) -> dict[str, tuple[str, str]]:
    """Return ``{alias: (module, docstring)}`` for the type aliases args fields are written with.

    Aliases such as ``Region`` or ``Cidr`` (``Annotated[str, ...]``) leave no trace at runtime,
    so they are found in the source: a module-level assignment followed by a docstring.
    """
    aliases: dict[str, tuple[str, str]] = {}
    for path in sorted((ROOT / "src" / "obs_platform").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT / "src").with_suffix("").parts)
        body = ast.parse(path.read_text(encoding="utf-8")).body
        for node, following in zip(body, [*body[1:], None], strict=True):
            if not (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Subscript)
            ):
                continue
            if (
                isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                doc = inspect.cleandoc(following.value.value)
            else:
                doc = f"``{ast.unparse(node.value)}``"
            aliases.setdefault(node.targets[0].id, (module, doc))
    used: set[str] = set()
    for model in models:
        for klass in model.__mro__:
            for annotation in vars(klass).get("__annotations__", {}).values():
                used.update(re.findall(r"[A-Za-z_]\w*", str(annotation)))
    return {name: aliases[name] for name in sorted(used & set(aliases))}


def reference_pages(out: Path) -> list[str]:
    """Write one reference page per area; return the page names in toctree order."""
    import obs_platform

    documented: list[type] = []
    all_models: list[type] = []
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
        models = [m for m in map(_load, ordered) if _is_model(m)]
        extra = [t for t in supporting_types(models) if t not in documented]
        if extra:
            lines += [
                "Supporting types",
                "----------------",
                "",
                "Models and choices used in the fields above. Build them with their",
                "class or pass the same keys in a plain ``dict``.",
                "",
            ]
            for cls in extra:
                module, _, name = _public_path(cls).rpartition(".")
                lines.append(_directive(module, name, cls))
                documented.append(cls)
        all_models += models + [t for t in extra if _is_model(t)]
        _write(out / "reference" / f"{area}.rst", "\n".join(lines))
        pages.append(area)

    title = "Value types"
    lines = [
        title,
        "=" * len(title),
        "",
        "Constrained types that args fields are written with. They are validated when the",
        "args are built; a wrong value raises :class:`obs_platform.ObsPlatformError` naming",
        "the field, the value and the fix.",
        "",
    ]
    for name, (module, doc) in value_types(all_models).items():
        lines += [
            f".. py:data:: {name}",
            f"   :module: {module}",
            "",
            *[f"   {line}" if line else "" for line in doc.splitlines()],
            "",
        ]
    _write(out / "reference" / "types.rst", "\n".join(lines))
    pages.append("types")

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


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Return a parser's subcommands by name (empty when it has none)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def cli_commands() -> list[tuple[str, argparse.ArgumentParser]]:
    """Return every ``obs-platform`` command and subcommand with its parser, depth first.

    The command-line reference is generated from these parsers, so it cannot drift from them.
    """
    from obs_platform.cli import build_parser

    parser = build_parser()
    parser.prog = "obs-platform"
    found: list[tuple[str, argparse.ArgumentParser]] = []

    def walk(name: str, command: argparse.ArgumentParser) -> None:
        found.append((name, command))
        for sub_name, sub in _subcommands(command).items():
            sub.prog = f"{name} {sub_name}"
            walk(f"{name} {sub_name}", sub)

    walk("obs-platform", parser)
    return found


def cli_page(out: Path) -> None:
    """Write the command-line reference from the argument parser, every subcommand included."""
    lines = [
        "# Command line",
        "",
        "The `obs-platform` command is installed with the package. Every command works "
        "offline unless its help says otherwise. This page is generated from the command's "
        "argument parser (`docs/generate.py`), so it lists every option the installed version "
        "accepts.",
        "",
    ]
    # argparse wraps help at the terminal's width: fix it, so every build writes the same page.
    columns = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    try:
        for name, parser in cli_commands():
            depth = name.count(" ")
            if depth:
                lines += [f"{'#' * min(depth + 1, 4)} `{name}`", ""]
            lines += ["```text", parser.format_help().rstrip(), "```", ""]
    finally:
        if columns is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = columns
    _write(out / "cli.md", "\n".join(lines))


STACK_REFERENCES = {"app-cells": ("organization/shared-account/dev", "shared-account")}
"""Examples that read another example's outputs through ``pulumi.StackReference``: the stack
name they reference and the example that is that stack."""


@functools.cache
def _outputs_of(example: str) -> dict[str, Any]:
    from obs_platform.testing import run_program

    return dict(run_program(EXAMPLES / example).outputs)


def plan_example(program: Path) -> Any:
    """Plan one example offline, the shared account's outputs standing in for its references."""
    from obs_platform.testing import run_program

    reference = STACK_REFERENCES.get(program.name)
    outputs = {reference[0]: _outputs_of(reference[1])} if reference else None
    return run_program(program, stack_outputs=outputs)


def plan_command(program: Path) -> str:
    """The documented command that prints an example's plan."""
    reference = STACK_REFERENCES.get(program.name)
    if reference is None:
        return f"obs-platform plan examples/{program.name}"
    return (
        f"obs-platform plan examples/{reference[1]} --json shared.json` then "
        f"`obs-platform plan examples/{program.name} --stack-outputs shared.json"
    )


def examples(out: Path) -> list[str]:
    """Run each example offline; write its plan output and its diagram. Return their names."""
    from obs_platform.diagram import build_diagram, render
    from obs_platform.testing.render import render_plan

    names = []
    for program in sorted(p.parent for p in EXAMPLES.glob("*/Pulumi.yaml")):
        plan = plan_example(program)
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


README_MARK = "<!-- plan-output -->"
"""Everything after this line of an example's README is the pasted plan output."""


def readme_plan_section(program: Path) -> str:
    """Return the README section showing ``obs-platform plan`` output for an example."""
    from obs_platform import __version__
    from obs_platform.testing.render import render_plan

    text = render_plan(plan_example(program))
    summary = text.splitlines()[0]
    return "\n".join(
        [
            README_MARK,
            "## Plan output",
            "",
            f"The output of `{plan_command(program)}` (obs-platform {__version__}),",
            "pasted from a real run; the documentation regenerates it on every build.",
            "",
            "<details>",
            f"<summary>{summary}</summary>",
            "",
            "```text",
            text.rstrip("\n"),
            "```",
            "",
            "</details>",
            "",
        ]
    )


def update_readmes() -> list[Path]:
    """Replace the plan output at the end of each example's README with a fresh run."""
    changed = []
    for program in sorted(p.parent for p in EXAMPLES.glob("*/Pulumi.yaml")):
        readme = program / "README.md"
        head, mark, _ = readme.read_text(encoding="utf-8").partition(README_MARK)
        if not mark:
            raise SystemExit(f"{readme} has no {README_MARK!r} line to put the plan after")
        _write(readme, head + readme_plan_section(program))
        changed.append(readme)
    return changed


def generate_all(out: Path) -> None:
    """Generate every page and picture under ``out``."""
    sys.path.insert(0, str(ROOT / "src"))
    importlib.invalidate_caches()
    with redirect_stdout(io.StringIO()):
        reference_pages(out)
        cli_page(out)
        examples(out)


if __name__ == "__main__":
    if sys.argv[1:] == ["--readmes"]:
        for path in update_readmes():
            print(f"updated {path.relative_to(ROOT)}")
    else:
        generate_all(DOCS / "_generated")
        print(f"generated under {DOCS / '_generated'}")
