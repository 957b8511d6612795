"""The engine's RandomPassword answer against pulumi-random's own SDK declarations.

The answer in ``obs_platform.testing._answers`` was written by hand; this test reads the
installed ``pulumi_random/random_password.py`` (the SDK the library depends on) with ``ast``:
every output property ``RandomPassword`` declares (its ``@pulumi.getter`` properties, by wire
name) that is not ``Optional`` must be in the engine's outputs, and exactly the SDK's
``additional_secret_outputs`` must be secret in the plan.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pulumi
import pulumi_random as random

from obs_platform.testing import run

SDK = Path(random.__file__).parent / "random_password.py"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _declared_outputs() -> tuple[dict[str, bool], set[str]]:
    """Return {wire name: optional} for RandomPassword's outputs, and its secret outputs."""
    tree = ast.parse(SDK.read_text())
    (resource,) = [
        node
        for node in tree.body
        if isinstance(node, ast.ClassDef)
        and node.name == "RandomPassword"
        and any(isinstance(b, ast.Attribute) and b.attr == "CustomResource" for b in node.bases)
    ]
    outputs: dict[str, bool] = {}
    for item in resource.body:
        if not isinstance(item, ast.FunctionDef) or item.returns is None:
            continue
        annotation = ast.unparse(item.returns)
        if not annotation.startswith("pulumi.Output["):
            continue
        name = _camel(item.name)
        for decorator in item.decorator_list:
            if isinstance(decorator, ast.Call):
                for keyword in decorator.keywords:
                    if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                        name = str(keyword.value.value)
        outputs[name] = "Optional[" in annotation
    match = re.search(r"additional_secret_outputs=\[([^\]]*)\]", SDK.read_text())
    assert match, "the SDK declares no additional_secret_outputs"
    secrets = set(re.findall(r'"([^"]+)"', match.group(1)))
    return outputs, secrets


def test_the_sdk_is_read() -> None:
    outputs, secrets = _declared_outputs()
    assert secrets == {"result", "bcryptHash"}
    assert {"result", "bcryptHash", "length", "special", "minUpper"} <= set(outputs)
    assert outputs["keepers"] and not outputs["result"]


def test_the_answer_has_every_declared_output_and_exactly_the_sdk_secrets() -> None:
    def program() -> None:
        random.RandomPassword("pw", length=32, special=False)
        pulumi.export("done", True)

    resource = run(program).get("pw")
    outputs, secrets = _declared_outputs()
    required = {name for name, optional in outputs.items() if not optional}
    missing = required - {k for k, v in resource.outputs.items() if v is not None}
    assert not missing, f"the engine's RandomPassword answer lacks {sorted(missing)}"
    secret = {k for k, v in resource.outputs.items() if v == "[secret]"}
    assert secret == secrets
    # Given inputs win; the rest take the provider's defaults.
    assert resource.outputs["special"] is False
    assert resource.outputs["upper"] is True and resource.outputs["minLower"] == 0
    assert resource.outputs["length"] == 32
