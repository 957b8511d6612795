"""The ``Plan``: what a program registers, as recorded by the offline engine.

``Plan.to_json()`` writes the public ``obs-platform.plan/1`` format of DESIGN.md section 3; other
tools read it, so its shape changes only with a new ``format`` version.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

_FORMATTED_NONE = re.compile(r"(?<![A-Za-z])None(?![A-Z][a-z]|Type\b)")
"""``None`` formatted into text (``f"{url}api"`` with ``url`` None); ``NoneType`` is not."""

PLAN_FORMAT = "obs-platform.plan/1"
"""The version tag of the plan JSON format."""

STACK_TYPE = "pulumi:pulumi:Stack"
PILOT_LIGHT_DR_TYPE = "obs-platform:dr:PilotLightDr"
OBSERVABILITY_STACK_TYPE = "obs-platform:observability:ObservabilityStack"
DR_COMPONENT_TYPES = (PILOT_LIGHT_DR_TYPE, OBSERVABILITY_STACK_TYPE)
"""Components whose ``budget`` output is a ``dr`` entry: each ``PilotLightDr``, and each
``ObservabilityStack`` with a standby (the stack's own failover; ``None`` without one)."""
DR_BUDGET_OUTPUT = "budget"
"""The output that carries a component's RTO/RPO budget into the plan's ``dr``."""


@dataclass(frozen=True)
class PlanResource:
    """One registered resource or component.

    Attributes:
        urn: The resource's URN.
        type: Its type token, such as ``aws:ec2/vpc:Vpc``.
        name: Its logical name.
        parent: The parent's URN (the stack's for top-level resources); ``None`` for the stack.
        custom: True for provider-managed resources, False for components.
        provider: URN of the explicit provider instance, or ``None`` for the default provider.
        region: Effective AWS region (own ``region`` input, else the provider's, else the stack's
            ``aws:region``); ``None`` for non-AWS resources.
        inputs: Inputs as plain JSON; secrets are ``"[secret]"``, unknowns ``"[unknown]"``.
        protect: Whether Pulumi refuses to delete it.
        retain_on_delete: Whether deleting it from the program leaves the cloud resource.
        depends_on: URNs it waits for: explicit ``depends_on`` and the resources its inputs
            come from, components expanded to their resources.
        ignore_changes: Input paths Pulumi ignores when diffing.
        outputs: Outputs the engine answered (custom) or the component registered.
        aliases: URNs this resource was known by before (``pulumi.Alias``), which Pulumi
            moves to the new URN instead of replacing. Not part of the plan JSON.
    """

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    provider: str | None
    region: str | None
    inputs: dict[str, Any]
    protect: bool = False
    retain_on_delete: bool = False
    depends_on: tuple[str, ...] = ()
    ignore_changes: tuple[str, ...] = ()
    outputs: dict[str, Any] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return the resource in the plan format's key order."""
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "custom": self.custom,
            "provider": self.provider,
            "region": self.region,
            "inputs": self.inputs,
            "protect": self.protect,
            "retain_on_delete": self.retain_on_delete,
            "depends_on": list(self.depends_on),
            "ignore_changes": list(self.ignore_changes),
        }


def _diagnostic(text: str) -> dict[str, str]:
    """Return a diagnostic for the plan JSON: ``{"severity": ..., "message": ...}``."""
    severity, sep, message = text.partition(": ")
    if sep and severity in ("warning", "error"):
        return {"severity": severity, "message": message}
    return {"severity": "warning", "message": text}


@dataclass(frozen=True)
class Plan:
    """Everything one offline run of a program registered.

    Attributes:
        project: The Pulumi project name.
        stack: The stack name.
        resources: Every registration, depth first from the stack, siblings ordered by name
            then type (a fixed order, so that two plans of one program are identical).
        outputs: The stack outputs (``pulumi.export``), secrets as ``"[secret]"``.
        diagnostics: Warnings and errors the program logged (``pulumi.log``), in order.
    """

    project: str
    stack: str
    resources: tuple[PlanResource, ...]
    outputs: dict[str, Any]
    diagnostics: tuple[str, ...] = ()

    def __iter__(self) -> Iterator[PlanResource]:
        return iter(self.resources)

    def __len__(self) -> int:
        return len(self.resources)

    @property
    def stack_urn(self) -> str:
        """The URN of the root stack resource."""
        return f"urn:pulumi:{self.stack}::{self.project}::{STACK_TYPE}::{self.project}-{self.stack}"

    def by_type(self, type_token: str) -> list[PlanResource]:
        """Return every resource of one type, in plan order."""
        return [r for r in self.resources if r.type == type_token]

    def get(self, name: str, type_token: str | None = None) -> PlanResource:
        """Return the one resource with this logical name (and type, when given).

        Raises:
            KeyError: If none or several match; the message lists close names.
        """
        found = [
            r
            for r in self.resources
            if r.name == name and (type_token is None or r.type == type_token)
        ]
        if len(found) == 1:
            return found[0]
        if not found:
            near = sorted(r.name for r in self.resources if name.split("-")[0] in r.name)[:10]
            raise KeyError(f"no resource named {name!r} (type {type_token}); similar: {near}")
        raise KeyError(f"{len(found)} resources named {name!r}; pass type_token to choose one")

    def by_urn(self, urn: str) -> PlanResource:
        """Return the resource with this URN."""
        for resource in self.resources:
            if resource.urn == urn:
                return resource
        raise KeyError(f"no resource with URN {urn!r}")

    def children(self, parent: PlanResource | str) -> list[PlanResource]:
        """Return the direct children of a resource or component."""
        urn = parent if isinstance(parent, str) else parent.urn
        return [r for r in self.resources if r.parent == urn]

    def descendants(self, parent: PlanResource | str) -> list[PlanResource]:
        """Return every resource below a component, depth first."""
        out: list[PlanResource] = []
        for child in self.children(parent):
            out.append(child)
            out.extend(self.descendants(child))
        return out

    def inputs_holding_none(self) -> list[str]:
        """Return ``urn: path`` of every input where a ``None`` ended up.

        A ``None`` read from an output the engine (or the cloud) left empty turns into a
        ``null`` in a list or into text such as ``"Noneapi/v1/remote_write"`` when formatted
        into a string; both are bugs that ``pulumi up`` would deploy. A string that is exactly
        ``"None"`` is left alone (Kubernetes writes a headless Service's ``clusterIP`` so).
        """
        found: list[str] = []

        def walk(value: Any, path: str, urn: str) -> None:
            if value is None:
                found.append(f"{urn}: {path} is null")
            elif isinstance(value, str):
                if value != "None" and _FORMATTED_NONE.search(value):
                    found.append(f"{urn}: {path} = {value!r}")
            elif isinstance(value, dict):
                for key, item in value.items():
                    walk(item, f"{path}.{key}" if path else str(key), urn)
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    walk(item, f"{path}[{index}]", urn)

        for resource in self.resources:
            walk(resource.inputs, "", resource.urn)
        return found

    def counts_by_type(self) -> dict[str, int]:
        """Return how many resources of each type the plan holds, most common first."""
        counts = Counter(r.type for r in self.resources if r.type != STACK_TYPE)
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def dr(self) -> list[dict[str, Any]]:
        """Return the ``dr`` section, in registration order.

        One RTO/RPO budget per ``PilotLightDr``, and one per ``ObservabilityStack`` with a
        standby.
        """
        entries: list[dict[str, Any]] = []
        for resource in (r for r in self.resources if r.type in DR_COMPONENT_TYPES):
            budget = resource.outputs.get(DR_BUDGET_OUTPUT)
            if isinstance(budget, dict):
                entries.append({"component": resource.urn, **budget})
        return entries

    def to_json(self) -> dict[str, Any]:
        """Return the plan in the public ``obs-platform.plan/1`` format."""
        return {
            "format": PLAN_FORMAT,
            "project": self.project,
            "stack": self.stack,
            "resources": [r.to_json() for r in self.resources],
            "outputs": self.outputs,
            "dr": self.dr(),
            "diagnostics": [_diagnostic(d) for d in self.diagnostics],
        }

    def dumps(self) -> str:
        """Return the plan JSON as text, indented and key order kept."""
        return json.dumps(self.to_json(), indent=2) + "\n"
