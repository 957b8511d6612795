"""What the offline engine refuses, as ``pulumi preview`` would.

* Two registrations with one URN: the Pulumi engine fails the update with "Duplicate resource
  URN '...'; try giving it a unique name" (``pkg/resource/deploy/step_generator.go``); the
  engine does too, naming both registration sites.
* Physical names pulumi-aws cannot auto-name, or that terraform-provider-aws / AWS would
  refuse, from the table in :mod:`obs_platform._internal.aws_names`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from .._internal import kubernetes_names as k8s
from .._internal.aws_names import (
    NameLimitError,
    NameRule,
    autoname,
    name_problems,
    rule_for,
)
from .._internal.errors import ObsPlatformError
from .._internal.kubernetes_names import NameRule as KubernetesNameRule
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


_KUBERNETES_WRAPPERS = ("kubernetes:helm.sh/", "kubernetes:yaml/", "kubernetes:kustomize/")
"""Types that stand for a set of objects, not one: their objects are checked by Helm/the
API server when rendered; only a Helm release's own name and namespace are checked here."""
_HELM_RELEASES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")


def check_kubernetes(
    type_token: str, logical_name: str, urn: str, wire_inputs: Mapping[str, Any], random_hex: str
) -> None:
    """Refuse a Kubernetes object whose name, namespace or labels the API server refuses.

    ``metadata.name`` follows its kind's rule, an auto-name (no ``metadata.name``: pulumi-
    kubernetes names the object ``<logical name>-<8 random characters>``,
    ``provider/pkg/metadata/naming.go`` ``AssignNameIfAutonamable``) included;
    ``metadata.namespace`` is a DNS-1123 label; label keys (``metadata.labels``, a pod
    template's and a selector's) are qualified names and their values label values; annotation
    keys are qualified names. A Helm release's ``name`` follows Helm's rule and its
    ``namespace`` a namespace's. Values known only after deploy are left to the API server.

    Args:
        type_token: The registration's type (``kubernetes:core/v1:Namespace``).
        logical_name: Its logical name.
        urn: Its URN, for the message.
        wire_inputs: Its inputs as the SDK sent them.
        random_hex: The 8 characters an auto-name ends with.

    Raises:
        PlanRefusedError: With the API server's (or Helm's) message, the resource and the fix.
    """
    plain = _wire.to_plain(dict(wire_inputs))
    kind = type_token.rsplit(":", 1)[-1]
    if type_token in _HELM_RELEASES:
        release = functools.partial(
            _refuse_kubernetes, type_token, logical_name, urn, kind, plain.get("name")
        )
        release("name", plain.get("name"), k8s.HELM_RELEASE_RULE)
        release("namespace", plain.get("namespace"), k8s.NAMESPACE_RULE)
        return
    if type_token.startswith(_KUBERNETES_WRAPPERS) or kind.endswith("List"):
        return
    metadata = _mapping(plain.get("metadata"))
    patch = kind.endswith("Patch")
    rule = k8s.name_rule(kind.removesuffix("Patch"))
    name = metadata.get("name")
    if name is None and not metadata.get("generateName") and not patch:
        name = f"{logical_name}-{random_hex}"
        auto = dataclasses.replace(
            rule,
            summary=f"{rule.summary}; the object is auto-named '<logical name>-<8 characters>', "
            "so rename the resource or set metadata.name",
        )
        _refuse_kubernetes(type_token, logical_name, urn, kind, name, "metadata.name", name, auto)
    refuse = functools.partial(_refuse_kubernetes, type_token, logical_name, urn, kind, name)
    refuse("metadata.name", name, rule)
    refuse("metadata.namespace", metadata.get("namespace"), k8s.NAMESPACE_RULE)
    spec = _mapping(plain.get("spec"))
    label_sets = {
        "metadata.labels": metadata.get("labels"),
        "spec.template.metadata.labels": _mapping(
            _mapping(spec.get("template")).get("metadata")
        ).get("labels"),
        "spec.selector.matchLabels": _mapping(spec.get("selector")).get("matchLabels"),
    }
    for where, labels in label_sets.items():
        for key, value in _mapping(labels).items():
            refuse(where, key, k8s.LABEL_KEY_RULE)
            refuse(f"{where}[{key}]", value, k8s.LABEL_VALUE_RULE)
    for key in _mapping(metadata.get("annotations")):
        refuse("metadata.annotations", key, k8s.ANNOTATION_KEY_RULE)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _refuse_kubernetes(
    type_token: str,
    logical_name: str,
    urn: str,
    kind: str,
    object_name: Any,
    where: str,
    value: Any,
    rule: KubernetesNameRule,
) -> None:
    """Raise the API server's "is invalid" error when ``rule`` finds problems in ``value``."""
    if not isinstance(value, str) or value in (_wire.UNKNOWN, _wire.SECRET):
        return  # absent, known only after deploy, or secret: the API server checks it then
    problems = rule.check(value)
    if not problems:
        return
    shown = object_name if isinstance(object_name, str) else logical_name
    raise PlanRefusedError(
        f"{type_token} resource '{logical_name}' was refused by the Kubernetes API server: "
        f'{kind} "{shown}" is invalid: {where}: Invalid value: "{value}": '
        f"{'; '.join(problems)}. Resource {urn}.",
        urn=urn,
        field=where,
        value=value,
        fix=f"Use {rule.summary}. Rule: {rule.source}.",
    )
