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

import sys
from pathlib import Path

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
        r"obs_platform\.(_internal|_component|network|observability|dr|cell|guardrails"
        r"|ops|cli|testing\._\w+|testing\.engine|testing\.plan)(\..*)?",
    ),
    (
        r"py:.*",
        r"(Output|Input|ResourceOptions|T|ArgsT|Any|Mapping|Callable|Iterator|Sequence"
        r"|Path|PathLike|StrEnum|Enum|BaseModel|ConfigDict|NoneType|ellipsis)",
    ),
    (
        r"py:.*",
        r"(Annotated|AfterValidator|InstanceOf|FieldInfo|PydanticUndefined"
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
