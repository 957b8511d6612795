"""Sphinx configuration for the obs-platform documentation.

Builds offline (no intersphinx, no remote images). At build time it generates, under
``docs/_generated/`` (not committed), the parts that must follow the code:

- one API reference page per public module, from ``obs_platform.__all__`` and
  ``obs_platform.testing.__all__``, so a new public name cannot be left undocumented;
- the command-line reference, from the argument parser;
- each example's diagram (SVG), by running the example under the offline engine and drawing
  its plan with graphviz.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from sphinx.util.nodes import make_refnode
from sphinxcontrib.autodoc_pydantic.directives.autodocumenters import PydanticFieldDocumenter

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS))
sys.path.insert(0, str(ROOT / "src"))

import generate  # noqa: E402 - needs the paths above

import obs_platform  # noqa: E402

project = "obs-platform"
author = "obs-platform maintainers"
copyright = "2026, obs-platform maintainers"
release = obs_platform.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "sphinxcontrib.autodoc_pydantic",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "generate.py"]
templates_path: list[str] = []

# --- Markdown ----------------------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist", "fieldlist"]
myst_heading_anchors = 3

# --- API reference -------------------------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"
autodoc_class_signature = "separated"
autodoc_default_options = {"members": True, "show-inheritance": False}
autodoc_preserve_defaults = True
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
napoleon_attr_annotations = True

autodoc_pydantic_model_show_json = False
autodoc_pydantic_model_show_config_summary = False
autodoc_pydantic_model_show_validator_summary = False
autodoc_pydantic_model_show_validator_members = False
autodoc_pydantic_model_show_field_summary = True
autodoc_pydantic_model_member_order = "bysource"
autodoc_pydantic_model_signature_prefix = "args model"
autodoc_pydantic_field_list_validators = False
autodoc_pydantic_field_show_constraints = True
autodoc_pydantic_field_show_default = True
autodoc_pydantic_field_show_alias = False
autodoc_pydantic_model_hide_paramlist = True
autodoc_pydantic_settings_show_json = False

# Warnings are errors in CI (-W -n). References into other projects cannot be resolved offline
# (no intersphinx): they render as code, without a link. References to our own implementation
# modules (not part of the public API) render the same way.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(pulumi|pulumi_aws|pulumi_eks|pulumi_kubernetes|pydantic|pydantic_core)(\..*)?"),
    (r"py:.*", r"(typing|typing_extensions|collections\.abc|enum|pathlib|os|datetime)\..*"),
    (r"py:.*", r"(annotated_types|grafana_foundation_sdk|yaml|boto3|botocore)(\..*)?"),
    (
        r"py:.*",
        r"obs_platform\.(_internal|_component|network|observability|dr|cells?|guardrails"
        r"|ops|cli|testing\._\w+|testing\.engine|testing\.plan)(\..*)?",
    ),
    (r"py:.*", r"_\w+"),  # private helpers named inside Annotated[...] field types
    # Unqualified constants and helpers named in docstrings live in implementation modules.
    (r"py:(data|func|meth|attr|const)", r"[A-Za-z_]\w*"),
    (r"py:.*", r"(ComponentResource|CustomResource|Resource|ProviderResource|Alias)"),
    (
        r"py:.*",
        r"(Output|Input|ResourceOptions|T|ArgsT|Any|Mapping|Callable|Iterator|Sequence"
        r"|Path|PathLike|StrEnum|Enum|BaseModel|ConfigDict|NoneType|ellipsis)",
    ),
    (
        r"py:.*",
        r"(Annotated|AfterValidator|InstanceOf|Field|FieldInfo|PydanticUndefined"
        r"|Literal|Union|Optional)",
    ),
    (r"py:.*", r"(str|int|float|bool|dict|list|tuple|set|frozenset|bytes|object|None)"),
]

# --- HTML ----------------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"obs-platform {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_theme_options = {
    "source_repository": "https://github.com/obs-platform/obs-platform/",
    "source_branch": "main",
    "source_directory": "docs/",
}
html_show_sourcelink = False

# Generated pages, refreshed on every build.
generate.generate_all(DOCS / "_generated")


def _resolve_by_suffix(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    """Resolve ``Region`` or ``DrSite`` in a field's type to the one object documented so.

    Field types are shown as written in the source (``list[DrSite]``), without the module;
    when exactly one documented object has that name, link to it. Anything else stays a
    warning (``-n``) unless ``nitpick_ignore_regex`` says why it cannot be linked.
    """
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    if not target or "." in target:
        return None
    objects = env.get_domain("py").objects
    matches = [
        name for name in objects if name.rsplit(".", 1)[-1] == target and not objects[name].aliased
    ]
    if len(matches) != 1:
        return None
    entry = objects[matches[0]]
    return make_refnode(
        app.builder, node["refdoc"], entry.docname, entry.node_id, contnode, matches[0]
    )


_PROSE_BEFORE_COLON = re.compile(r"^[^:`[|]* [^:`[|]*: ")


def _keep_prose_attribute_docstrings(
    app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """Stop napoleon from reading "The RTO/RPO budget: ..." as a type followed by text.

    Napoleon takes ``type: description`` on an attribute docstring's first line, unless
    nothing follows the colon on that line; so the sentence is broken after its colon (the
    paragraph renders the same).
    """
    if lines and _PROSE_BEFORE_COLON.match(lines[0]):
        head, _, tail = lines[0].partition(": ")
        lines[0:1] = [f"{head}:", tail]


def _add_constraints_as_literals(self: Any) -> None:
    """Show each field constraint's value as code (a regex pattern is not reStructuredText)."""
    constraints = self.pydantic.inspect.fields.get_constraints(self.pydantic_field_name)
    if constraints:
        source = self.get_sourcename()
        self.add_line(":Constraints:", source)
        for key, value in constraints.items():
            self.add_line(f"   - **{key}** = ``{value}``", source)
        self.add_line("", source)


PydanticFieldDocumenter.add_constraints = _add_constraints_as_literals


def setup(app: Any) -> dict[str, Any]:
    app.connect("missing-reference", _resolve_by_suffix)
    app.connect("autodoc-process-docstring", _keep_prose_attribute_docstrings, priority=400)
    return {"parallel_read_safe": True}
