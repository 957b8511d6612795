"""Offline ``pulumi.StackReference``: another stack's outputs from a file instead of its state.

A program split into stacks reads the others with ``pulumi.StackReference("org/project/stack")``.
With the Pulumi CLI that reads the referenced stack's state; offline, the outputs come from:

* a plan JSON that ``obs-platform plan --json`` wrote for the other program (its ``outputs``;
  ``"[secret]"`` values stay secret, ``"[unknown]"`` ones stay unknown), or
* a JSON object of outputs, as ``pulumi stack output --json`` prints it.

A reference no file answers fails with the stack's name and the option that gives it.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

from .._internal.errors import ObsPlatformError
from . import _wire
from .plan import PLAN_FORMAT

STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"
_OUTPUTS_FILE_FIX = (
    "Give a file written by 'obs-platform plan --json' or 'pulumi stack output --json'."
)


class StackReferenceError(ObsPlatformError):
    """A stack reference the offline engine cannot answer, or an outputs file it cannot read."""


@dataclass(frozen=True)
class StackOutputs:
    """One referenced stack's outputs.

    Attributes:
        outputs: The outputs by name, as plain JSON values.
        secret_names: Names of outputs that are secrets.
        unknown_names: Names of outputs known only after a deployment.
        source: Where they were read from, for messages.
    """

    outputs: dict[str, Any]
    secret_names: frozenset[str] = frozenset()
    unknown_names: frozenset[str] = frozenset()
    source: str = "the given outputs"
    project_stack: str | None = field(default=None, compare=False)
    """``project/stack`` of the plan the outputs came from, when they came from a plan."""
    pool_cidrs: Mapping[str, tuple[str, ...]] = field(default_factory=dict, compare=False)
    """CIDRs provisioned to the IPAM pools the stack exports, by pool ID: from the plan's
    ``VpcIpamPoolCidr`` resources, or from outputs paired by name (``regional_pool_ids`` with
    ``regional_pool_cidrs``), so VPCs allocated from those pools get CIDRs inside them."""


def read_stack_outputs(path: str | os.PathLike[str]) -> StackOutputs:
    """Read a plan JSON's outputs, or a JSON object of outputs.

    Raises:
        StackReferenceError: If the file is missing or holds neither.
    """
    file = Path(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise StackReferenceError(
            f"cannot read stack outputs from {file}: {exc.strerror}.",
            field="--stack-outputs",
            value=str(file),
            fix=_OUTPUTS_FILE_FIX,
        ) from None
    except ValueError as exc:
        raise StackReferenceError(
            f"{file} is not JSON: {exc}.",
            field="--stack-outputs",
            value=str(file),
            fix=_OUTPUTS_FILE_FIX,
        ) from None
    if not isinstance(data, dict):
        raise StackReferenceError(
            f"{file} holds a {type(data).__name__}, not stack outputs.",
            field="--stack-outputs",
            value=str(file),
            fix="Give a JSON object of outputs or a plan JSON.",
        )
    project_stack = None
    provisioned: dict[str, tuple[str, ...]] = {}
    if data.get("format") == PLAN_FORMAT:
        project_stack = f"{data.get('project')}/{data.get('stack')}"
        provisioned = _provisioned_pool_cidrs(data.get("resources"))
        data = data.get("outputs") or {}
    elif isinstance(data.get("format"), str) and str(data["format"]).startswith(
        "obs-platform.plan/"
    ):
        raise StackReferenceError(
            f"{file} is a plan in format {data['format']!r}; this version reads {PLAN_FORMAT}.",
            field="--stack-outputs",
            value=str(file),
            fix="Write the plan again with this version of obs-platform.",
        )
    outputs = from_mapping(data, source=str(file), project_stack=project_stack)
    if not provisioned:
        return outputs
    return dataclasses.replace(outputs, pool_cidrs={**outputs.pool_cidrs, **provisioned})


_POOL_CIDR_TYPE = "aws:ec2/vpcIpamPoolCidr:VpcIpamPoolCidr"


def _provisioned_pool_cidrs(resources: Any) -> dict[str, tuple[str, ...]]:
    """Return pool ID -> CIDRs from a plan's ``VpcIpamPoolCidr`` registrations."""
    found: dict[str, tuple[str, ...]] = {}
    for resource in resources if isinstance(resources, list) else []:
        if not isinstance(resource, dict) or resource.get("type") != _POOL_CIDR_TYPE:
            continue
        inputs = resource.get("inputs") or {}
        pool, cidr = inputs.get("ipamPoolId"), inputs.get("cidr")
        if _is_known_text(pool) and _is_known_text(cidr):
            found[pool] = (*found.get(pool, ()), cidr)
    return found


def _is_known_text(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value) and value not in (_wire.UNKNOWN, _wire.SECRET)


def _paired_pool_cidrs(outputs: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Return pool ID -> CIDRs from outputs that pair IDs with CIDRs by name.

    ``<name>_ids`` and ``<name>_cidrs`` (maps with the same keys, such as the shared account's
    ``regional_pool_ids`` and ``regional_pool_cidrs`` by region), or ``<name>_id`` and
    ``<name>_cidr`` (single values); a CIDR value may be a list of CIDRs.
    """
    found: dict[str, tuple[str, ...]] = {}
    for name, ids in outputs.items():
        for one, many in (("_id", "_cidr"), ("_ids", "_cidrs")):
            if not name.endswith(one) or "pool" not in name:
                continue
            cidrs = outputs.get(name.removesuffix(one) + many)
            pairs = (
                [(ids[k], cidrs[k]) for k in ids if k in cidrs]
                if isinstance(ids, dict) and isinstance(cidrs, dict)
                else [(ids, cidrs)]
            )
            for pool, value in pairs:
                blocks = value if isinstance(value, list) else [value]
                known = tuple(b for b in blocks if _is_known_text(b))
                if _is_known_text(pool) and known:
                    found[pool] = known
    return found


def from_mapping(
    outputs: Mapping[str, Any],
    *,
    source: str = "the given outputs",
    project_stack: str | None = None,
) -> StackOutputs:
    """Wrap a mapping of outputs; ``"[secret]"`` and ``"[unknown]"`` values keep their meaning."""
    values = dict(outputs)
    return StackOutputs(
        outputs=values,
        secret_names=frozenset(k for k, v in values.items() if _wire.contains(v, _wire.SECRET)),
        unknown_names=frozenset(k for k, v in values.items() if _wire.contains(v, _wire.UNKNOWN)),
        source=source,
        project_stack=project_stack,
        pool_cidrs=_paired_pool_cidrs(values),
    )


def resolve(
    references: Mapping[str, StackOutputs], stack_name: str, referencing_project: str
) -> StackOutputs:
    """Return the outputs for a referenced stack name.

    ``org/project/stack``, ``project/stack`` and ``stack`` (a stack of the same project, as
    Pulumi reads it) match a key given in any of those forms, or a plan whose project and stack
    they name.

    Raises:
        StackReferenceError: Naming the stack and how to give its outputs.
    """
    if stack_name in references:
        return references[stack_name]
    parts = stack_name.split("/")
    project_stack = (
        "/".join(parts[-2:]) if len(parts) >= 2 else f"{referencing_project}/{stack_name}"
    )
    for key, outputs in references.items():
        key_parts = key.split("/")
        if "/".join(key_parts[-2:]) == project_stack or outputs.project_stack == project_stack:
            return outputs
    given = ", ".join(sorted(references)) or "none"
    raise StackReferenceError(
        f"pulumi.StackReference({stack_name!r}) has no outputs offline: there is no stack state "
        f"to read them from (outputs given for: {given}).",
        field="StackReference",
        value=stack_name,
        fix=f"Plan that stack first and pass its plan JSON: 'obs-platform plan PROGRAM_DIR "
        f"--stack-outputs {stack_name}=PLAN.json' (or a 'pulumi stack output --json' file); "
        f"in Python, run(..., stack_outputs={{{stack_name!r}: 'PLAN.json'}}).",
    )


def wire_outputs(outputs: StackOutputs) -> dict[str, Any]:
    """Return a StackReference's properties on the wire: secrets and unknowns marked."""

    def encode(name: str, value: Any) -> Any:
        if name in outputs.unknown_names:
            return _wire.unknown()
        if name in outputs.secret_names:
            return _wire.secret(value)
        return value

    return {
        "outputs": {k: encode(k, v) for k, v in outputs.outputs.items()},
        "secretOutputNames": sorted(outputs.secret_names),
    }


def normalise(
    given: Mapping[str, str | os.PathLike[str] | Mapping[str, Any] | StackOutputs] | None,
) -> dict[str, StackOutputs]:
    """Turn ``stack_outputs`` as users pass it (file paths or mappings) into outputs."""
    result: dict[str, StackOutputs] = {}
    for name, value in (given or {}).items():
        if isinstance(value, StackOutputs):
            result[name] = value
        elif isinstance(value, str | os.PathLike):
            result[name] = read_stack_outputs(Path(value))
        else:
            result[name] = from_mapping(value, source=f"the outputs given for {name!r}")
    return result
