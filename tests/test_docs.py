"""The documentation: code blocks run, the site builds without a warning, and it renders.

- Every ```` ```python ```` block in ``docs/**/*.md`` runs. Blocks of one page share a namespace,
  in order. A block whose first line is ``# __main__.py`` is a Pulumi program: it runs under the
  offline engine as project ``docs`` with the stack config of ``PROGRAM_CONFIG`` and must
  register resources without logging an error. To show Python that must not run, use
  ```` ```{code-block} python ````.
- ``sphinx-build -W -n`` (warnings and broken references are errors) builds the site, including
  the generated API reference, CLI page and example diagrams.
- Every public name, every args field and every declared output has its own anchor in the site.
- Headless Chromium renders the index, a reference page and an example page with its diagram.
"""

from __future__ import annotations

import importlib.util
import os
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from types import ModuleType

import pytest

import obs_platform
from conftest import EXAMPLES, PROJECT_ROOT, app_cells_stack_outputs, find_tool
from obs_platform import testing
from obs_platform.testing import run

DOCS = PROJECT_ROOT / "docs"
_FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
PROGRAM_MARK = "# __main__.py"
PROGRAM_CONFIG = {"aws:region": "eu-west-1", "docs:grafanaAdminPassword": "docs-example-only"}
"""The stack configuration of the programs in the docs (a ``Pulumi.<stack>.yaml``)."""
PROGRAM_SECRETS = frozenset({"docs:grafanaAdminPassword"})


def _pages() -> list[Path]:
    skip = {"_generated", "_build"}
    return sorted(p for p in DOCS.rglob("*.md") if not skip & set(p.relative_to(DOCS).parts))


def _blocks(page: Path) -> list[str]:
    return _FENCE.findall(page.read_text(encoding="utf-8"))


PAGES_WITH_CODE = [p for p in _pages() if _blocks(p)]


def test_the_docs_have_runnable_code() -> None:
    names = {p.relative_to(DOCS).as_posix() for p in PAGES_WITH_CODE}
    assert {"getting-started.md", "concepts/offline-engine.md"} <= names


@pytest.mark.parametrize("page", PAGES_WITH_CODE, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_python_blocks_run(page: Path) -> None:
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for index, block in enumerate(_blocks(page), start=1):
        code = compile(block, f"{page.relative_to(PROJECT_ROOT)} (python block {index})", "exec")
        if block.startswith(PROGRAM_MARK):
            plan = run(
                lambda code=code: exec(code, dict(namespace)),  # type: ignore[misc]
                project="docs",
                config=PROGRAM_CONFIG,
                secret_keys=PROGRAM_SECRETS,
            )
            custom = [r for r in plan.resources if r.custom]
            assert custom, f"block {index} of {page.name} registers no resource"
            errors = [d for d in plan.diagnostics if d.startswith("error")]
            assert not errors, f"block {index} of {page.name} logged {errors}"
            # An output the engine left empty must not reach an input as None ("Noneapi/...").
            holding_none = plan.inputs_holding_none()
            assert not holding_none, f"block {index} of {page.name}: {holding_none[:5]}"
        else:
            exec(code, namespace)


def test_a_failing_block_fails_its_page(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("text\n\n```python\nassert 1 + 1 == 3\n```\n", encoding="utf-8")
    (block,) = _blocks(page)
    with pytest.raises(AssertionError):
        exec(compile(block, "page.md", "exec"), {})


def _generate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_generate", DOCS / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cli_reference_shows_every_option_of_every_command(tmp_path: Path) -> None:
    generate = _generate()
    generate.cli_page(tmp_path)
    page = (tmp_path / "cli.md").read_text(encoding="utf-8")
    commands = generate.cli_commands()
    names = [name for name, _ in commands]
    assert {"obs-platform dr failover", "obs-platform dr drill", "obs-platform plan"} <= set(names)
    sections = re.split(r"^#+ `(obs-platform [^`]+)`$", page, flags=re.M)
    pairs = zip(sections[1::2], sections[2::2], strict=True)
    by_name = {"obs-platform": sections[0], **dict(pairs)}
    assert sorted(by_name) == sorted(names)
    for name, parser in commands:
        options = {o for a in parser._actions for o in a.option_strings if o.startswith("--")}
        missing = [o for o in sorted(options) if o not in by_name[name]]
        assert not missing, f"{name}: the CLI reference omits {missing}"
    assert "--allow-data-loss" in by_name["obs-platform dr failover"]


# --- the built site -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the site once with warnings as errors; return its HTML directory."""
    find_tool("dot")
    out = tmp_path_factory.mktemp("site")
    html = out / "html"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "-n",
            "--keep-going",
            "-q",
            "-b",
            "html",
            "-d",
            str(out / "doctrees"),
            str(DOCS),
            str(html),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "ignore::DeprecationWarning"},
    )
    assert result.returncode == 0, (
        f"sphinx-build -W -n failed (exit {result.returncode}):\n{result.stderr[-6000:]}"
    )
    return html


def _all_html(site: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))


@pytest.mark.slow
def test_site_builds_without_warnings(site: Path) -> None:
    for page in (
        "index.html",
        "getting-started.html",
        "concepts/dr-model.html",
        "runbook.html",
        "howto/failover-drill.html",
        "changelog.html",
        "versioning.html",
        "_generated/cli.html",
        "_generated/reference/network.html",
    ):
        assert (site / page).is_file(), page
    changelog = (site / "changelog.html").read_text(encoding="utf-8")
    assert "Unreleased" in changelog and "Keep a Changelog" in changelog


def _public() -> list[tuple[str, object]]:
    names = [
        (f"obs_platform.{n}", getattr(obs_platform, n))
        for n in obs_platform.__all__
        if n != "__version__"
    ]
    names += [(f"obs_platform.testing.{n}", getattr(testing, n)) for n in testing.__all__]
    return names


@pytest.mark.slow
def test_every_public_name_field_and_output_has_an_anchor(site: Path) -> None:
    from pydantic import BaseModel

    html = _all_html(site)
    missing = []
    for qualified, obj in _public():
        wanted = [qualified]
        if isinstance(obj, type) and issubclass(obj, BaseModel):
            wanted += [f"{qualified}.{field}" for field in obj.model_fields]
        elif isinstance(obj, type) and isinstance(getattr(obj, "TYPE_TOKEN", None), str):
            # Declared outputs: the class's own annotations, constants (ClassVar) aside.
            wanted += [
                f"{qualified}.{name}"
                for name, annotation in vars(obj).get("__annotations__", {}).items()
                if not name.startswith("_") and "ClassVar" not in str(annotation)
            ]
        missing += [anchor for anchor in wanted if f'id="{anchor}"' not in html]
    assert not missing, f"not in the API reference: {missing}"


@pytest.mark.slow
def test_component_pages_show_type_tokens_and_field_defaults(site: Path) -> None:
    network = (site / "_generated" / "reference" / "network.html").read_text(encoding="utf-8")
    assert "obs-platform:network:Ipam" in network
    assert "obs-platform:network:TransitNetwork" in network
    # autodoc-pydantic shows each field's default and constraints.
    assert re.search(r'id="obs_platform\.IpamArgs\.protect".*?True', network, re.S)
    assert "Constraints" in network


EXAMPLE_NAMES = sorted(p.parent.name for p in EXAMPLES.glob("*/Pulumi.yaml"))


@pytest.mark.slow
def test_every_alert_runbook_url_lands_on_a_section_of_the_built_runbook(site: Path) -> None:
    from obs_platform._internal import alert_rules

    groups = alert_rules.build_rule_groups(rpo_target_seconds=60, rto_target_seconds=300)
    urls = {
        rule["annotations"]["runbook_url"]
        for group in groups
        for rule in group["rules"]
        if "alert" in rule
    }
    page = (site / "runbook.html").read_text(encoding="utf-8")
    assert urls
    for url in sorted(urls):
        base, _, fragment = url.partition("#")
        assert base.endswith("/runbook.html"), url
        assert f'id="{fragment}"' in page, f"{url}: no such anchor in the built runbook"


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_example_pages_show_their_diagram_and_plan(site: Path, example: str) -> None:
    page = (site / "examples" / f"{example}.html").read_text(encoding="utf-8")
    images = re.findall(r'<img[^>]+src="([^"]+\.svg)"', page)
    assert images, f"no diagram on the {example} page"
    svg = (site / "examples" / images[0]).resolve().read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and 'class="cluster"' in svg
    assert "Plan for project" in page


# --- screenshots ---------------------------------------------------------------------------------


def _chromium(chromium: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={tmp / 'profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA PNG; return width, height and one row of pixels per line."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (2, 6), f"unexpected PNG depth {depth} color {color}"
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride, rows, previous = (
        zlib.decompress(idat),
        width * channels,
        [],
        bytes(width * channels),
    )
    for y in range(height):
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up, up_left = previous[x], previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else up_left)
                line[x] = (line[x] + pred) & 0xFF
        previous = bytes(line)
        rows.append(bytes(b for i, b in enumerate(line) if channels == 3 or i % 4 != 3))
    return width, height, rows


def _screenshot(chromium: str, tmp: Path, url: str, name: str) -> tuple[int, float, int]:
    """Return (file size, share of non-background pixels, distinct colours) of a screenshot."""
    shot = tmp / f"{name}.png"
    result = _chromium(chromium, tmp, f"--screenshot={shot}", "--window-size=1280,900", url)
    assert shot.is_file(), f"chromium wrote no screenshot: {result.stderr[-2000:]}"
    data = shot.read_bytes()
    width, height, rows = _png_pixels(data)
    assert (width, height) == (1280, 900)
    background = rows[0][-3:]  # the top-right corner
    pixels = [row[i : i + 3] for row in rows[::4] for i in range(0, len(row), 12)]
    ink = sum(1 for p in pixels if p != background) / len(pixels)
    return len(data), ink, len(set(pixels))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("page", "text"),
    [
        ("index.html", "obs-platform"),
        ("_generated/reference/network.html", "IpamArgs"),
    ],
)
def test_screenshot_shows_the_page(
    site: Path, chromium: str, tmp_path: Path, page: str, text: str
) -> None:
    url = (site / page).as_uri()
    size, ink, colours = _screenshot(chromium, tmp_path, url, page.replace("/", "_"))
    assert size > 20_000, f"{page}: screenshot of {size} bytes is too small to hold a page"
    assert 0.03 < ink < 0.9, f"{page}: {ink:.1%} of the screenshot differs from the background"
    assert colours > 20, f"{page}: only {colours} colours: the theme's styles did not load"
    dom = _chromium(chromium, tmp_path, "--dump-dom", url).stdout
    assert text in dom and "furo" in dom


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_diagrams_load_in_the_browser(
    site: Path, chromium: str, tmp_path: Path, example: str
) -> None:
    page = site / "examples" / f"{example}.html"
    (src,) = re.findall(r'<img[^>]+src="([^"]+\.svg)"', page.read_text(encoding="utf-8"))[:1]
    image = (page.parent / src).resolve()
    probe = tmp_path / "probe.html"
    probe.write_text(
        f'<html><body><img id="d" src="{image.as_uri()}">'
        "<script>window.addEventListener('load', () => {const i = document.getElementById('d');"
        "document.body.setAttribute('data-size', i.naturalWidth + 'x' + i.naturalHeight);});"
        "</script></body></html>",
        encoding="utf-8",
    )
    dom = _chromium(
        chromium, tmp_path, "--allow-file-access-from-files", "--dump-dom", probe.as_uri()
    ).stdout
    match = re.search(r'data-size="(\d+)x(\d+)"', dom)
    assert match, f"the probe page did not report the image size: {dom[:500]}"
    width, height = int(match.group(1)), int(match.group(2))
    assert width > 200 and height > 100, f"{example} diagram renders as {width}x{height}"
    size, ink, _ = _screenshot(chromium, tmp_path, page.as_uri() + "#diagram", example)
    assert size > 20_000 and ink > 0.03


# --- the examples' READMEs ------------------------------------------------------------------------


def _readme(example: str) -> str:
    return (EXAMPLES / example / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_example_readme_has_the_sections_a_user_needs(example: str) -> None:
    text = _readme(example)
    for heading in (
        "## What it builds",
        "## What it costs to leave running",
        "## Prerequisites",
        "## Configuration",
        "## Plan it offline",
        "## Deploy",
        "## Destroy",
        "## Plan output",
    ):
        assert f"\n{heading}\n" in text, f"{example}/README.md lacks {heading!r}"
    assert "pulumi up" in text and "pulumi destroy" in text
    assert "20-30 minutes" in text  # the slow IPAM release on destroy


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_example_readme_documents_every_config_key(example: str) -> None:
    import yaml

    stack = yaml.safe_load((EXAMPLES / example / "Pulumi.dev.yaml").read_text(encoding="utf-8"))
    text = _readme(example)
    missing = [key for key in stack.get("config", {}) if f"`{key}`" not in text]
    assert not missing, f"{example}/README.md does not document {missing}"


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_example_readme_shows_real_plan_output(example: str) -> None:
    """The pasted output has the components the program makes now, and its DR budget.

    Child resources may change between pastes; components may not. To refresh the paste, run
    ``python docs/generate.py --readmes``.
    """
    from obs_platform.testing import run_program
    from obs_platform.testing.render import render_plan

    pasted = _readme(example).partition("<!-- plan-output -->")[2]
    current = render_plan(run_program(EXAMPLES / example, stack_outputs=app_cells_stack_outputs()))

    def skeleton(text: str) -> list[str]:
        head = [line for line in text.splitlines() if line.startswith("Plan for project")]
        parts = [re.sub(r": \d+ resources.*", "", head[0])] if head else []
        parts += [
            line.strip("│├└─ ")
            for line in text.splitlines()
            if "obs-platform:" in line and "  " in line.strip()
        ]
        parts += [
            line.strip()
            for line in text.splitlines()
            if line.startswith("DR budget") or re.match(r"^  \S+ -> \S+", line)
        ]
        return parts

    assert skeleton(pasted), f"{example}/README.md has no pasted plan output"
    assert skeleton(pasted) == skeleton(current), (
        f"{example}/README.md shows stale plan output; run: python docs/generate.py --readmes"
    )
