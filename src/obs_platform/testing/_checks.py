"""What the offline engine refuses, as ``pulumi preview`` would.

* Two registrations with one URN: the Pulumi engine fails the update with "Duplicate resource
  URN '...'; try giving it a unique name" (``pkg/resource/deploy/step_generator.go``); the
  engine does too, naming both registration sites.
* Physical names pulumi-aws cannot auto-name, or that terraform-provider-aws / AWS would
  refuse, from the table in :mod:`obs_platform._internal.aws_names`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from .._internal.aws_names import (
    NameLimitError,
    NameRule,
    autoname,
    name_problems,
    rule_for,
)
from .._internal.errors import ObsPlatformError
from . import _wire

_LIBRARY_ROOT = str(Path(__file__).resolve().parents[1])


class PlanRefusedError(ObsPlatformError):
    """The offline engine refuses the program as ``pulumi preview`` would.

    Attributes:
        urn: The URN of the registration refused.
    """

    def __init__(
        self,
        message: str,
        *,
        urn: str,
        field: str | None = None,
        value: Any = None,
        fix: str | None = None,
    ) -> None:
        super().__init__(message, field=field, value=value, fix=fix)
        self.urn = urn


def registration_site(stack_trace: Any) -> str | None:
    """Return ``file:line`` of the program code that registered a resource.

    Args:
        stack_trace: The ``stackTrace`` of the RegisterResource request (innermost frame
            first). The first frame outside the Pulumi SDKs and this library is the user's
            line; failing that, the first frame at all (a library file).
    """
    frames = list(getattr(stack_trace, "frames", ()) or ())
    positions = []
    for frame in frames:
        pc = frame.pc
        if not pc.uri:
            continue
        path = unquote(urlparse(pc.uri).path)
        positions.append((path, pc.line))
    for path, line in positions:
        if "site-packages" not in path and not path.startswith(_LIBRARY_ROOT):
            return f"{path}:{line}"
    return f"{positions[0][0]}:{positions[0][1]}" if positions else None


def duplicate_urn(urn: str, first_site: str | None, second_site: str | None) -> PlanRefusedError:
    """Return the error for a URN registered twice (Pulumi's message, then both sites)."""
    first = first_site or "an unknown place (the SDK gave no stack trace)"
    second = second_site or "an unknown place (the SDK gave no stack trace)"
    logical = urn.rsplit("::", 1)[-1]
    return PlanRefusedError(
        f"Duplicate resource URN '{urn}'; try giving it a unique name. "
        f"First registered at {first}; registered again at {second}.",
        urn=urn,
        field="name",
        value=logical,
        fix="Give each resource (and each component, such as two Cells in one region) its own "
        "name; children derive their names from it.",
    )


def check_name(
    type_token: str,
    logical_name: str,
    urn: str,
    wire_inputs: Mapping[str, Any],
    random_hex: str,
) -> str | None:
    """Check a registration's physical name; return the auto-name it gets (or ``None``).

    Args:
        type_token: The registration's type.
        logical_name: Its logical name.
        urn: Its URN, for the message.
        wire_inputs: Its inputs as the SDK sent them (unknowns and secrets marked).
        random_hex: The 7 hex characters the auto-name ends with.

    Raises:
        PlanRefusedError: With Pulumi's or the provider's message, the resource and the fix.
    """
    rule = rule_for(type_token)
    if rule is None or rule.attribute is None:
        return None
    present = rule.attribute in wire_inputs and wire_inputs[rule.attribute] is not None
    if not present:
        if not rule.autonamed:
            return None
        try:
            physical = autoname(rule, logical_name, random_hex)
        except NameLimitError as exc:
            longest = rule.longest_logical_name()
            raise PlanRefusedError(
                f"could not make instance of '{type_token}': {exc}. "
                f"Resource {urn} (logical name {logical_name!r}, {len(logical_name)} "
                f"characters) is auto-named from its logical name.",
                urn=urn,
                field=rule.attribute,
                value=logical_name,
                fix=f"Shorten the logical name to at most {longest} characters (for a "
                "component's child: shorten the component's name), or set "
                f"{rule.attribute!r} explicitly to a name of at most "
                f"{rule.limit} characters. Rule: {rule.source}.",
            ) from None
        _refuse_problems(rule, type_token, logical_name, urn, physical, auto=True)
        return physical
    raw = wire_inputs[rule.attribute]
    if _wire.contains(_wire.to_plain(raw), _wire.UNKNOWN):
        return None  # known only after deploy; the provider checks it then
    value = _wire.reveal(raw)
    if isinstance(value, str):
        _refuse_problems(
            rule,
            type_token,
            logical_name,
            urn,
            value,
            auto=False,
            secret=_wire.contains_secret(raw),
        )
    return None


def _refuse_problems(
    rule: NameRule,
    type_token: str,
    logical_name: str,
    urn: str,
    physical: str,
    *,
    auto: bool,
    secret: bool = False,
) -> None:
    problems = name_problems(rule, physical)
    if not problems:
        return
    attribute = rule.attribute or "name"
    shown = "[secret]" if secret else repr(physical)
    how = "auto-named from its logical name as" if auto else "given"
    raise PlanRefusedError(
        f"{type_token} resource '{logical_name}' has a problem: {'; '.join(problems)}. "
        f"Examine values at '{logical_name}.{attribute}'. Resource {urn} is {how} "
        f"{shown} ({len(physical)} characters).",
        urn=urn,
        field=attribute,
        value=None if secret else physical,
        fix=f"Choose a {attribute!r} that passes these rules"
        + (
            " (the logical name decides it: rename the resource or set the attribute)"
            if auto
            else ""
        )
        + f". Rule: {rule.source}.",
    )
