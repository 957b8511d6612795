"""CIDRs claimed on one Transit Gateway: an overlap is refused, naming both VPCs.

Two VPCs with overlapping CIDRs on one gateway cannot both be routed: the gateway's route table
takes one route per destination (a second static or propagated route for the same CIDR is
refused or loses, Transit Gateway user guide, "Route evaluation order"), so the second VPC
would be unreachable or steal the first's traffic.

Who claims:

* a cell with a fixed ``vpc_cidr`` (no ``ipam_pool_id``), before it registers anything;
* :meth:`TransitNetwork.attach_vpc <obs_platform.network.transit.TransitNetwork.attach_vpc>`
  with ``cidr=`` (the shared stack's VPC does);
* the VPCs another stack attached, as a :class:`~obs_platform.network.transit.
  TransitGatewayHandle` lists them (``attached_vpc_cidrs``, from the shared stack's
  ``transit_attached_cidrs`` output read through a ``StackReference``).

IPAM allocations from one pool are disjoint by construction, so a cell allocated from the pool
the shared VPC came from never overlaps it and claims nothing (its CIDR is not known before its
VPC exists anyway).

When is an overlap found? Claims are compared as soon as both sides are known:

* **Plain values** (a fixed ``vpc_cidr``, a gateway ID string, the same ``TransitNetwork``
  object, CIDRs given as strings): at once, when the second claim is made, so the cell is
  refused before it registers anything (:class:`ObsPlatformError`, naming both).
* **Outputs** (gateway IDs and CIDRs from a ``StackReference`` or another component): the
  comparison runs when they resolve, and :func:`claim_vpc_cidr` returns a *gate*, an
  ``Output`` that every child of the claiming cell depends on. No child of the cell is
  registered before the gate resolves, and an overlap fails the gate with the same error, so
  ``pulumi preview`` fails and ``pulumi up`` creates none of the cell's resources. A
  ``StackReference``'s outputs are read from the backend, so they are known during a real
  preview too; an output that is still unknown in preview (a VPC of the same program whose
  CIDR IPAM has not allocated yet) is compared during ``pulumi up``, still before the cell's
  first child is sent to the engine.

Two handles of one gateway built from separate Outputs (two ``TransitGatewayHandle.
from_outputs`` calls) are the same gateway when their IDs resolve equal.

Claims belong to the program's root stack resource, so two programs run in one process (the
offline engine in tests) never see each other's.
"""

from __future__ import annotations

import ipaddress
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from .._internal.errors import ObsPlatformError

__all__ = ["claim_vpc_cidr", "gateway_key"]


@dataclass(frozen=True)
class _Claim:
    owner: str
    gateway: Any
    """A plain identity (a gateway ID string, or the ``TransitNetwork`` object) or ``None``."""
    gateway_id: Any
    """The gateway's ID as an Input (a string or an Output), for the deferred comparison."""
    cidr: Any
    """The claimed CIDR: a string or an Output of one."""


_CLAIMS: weakref.WeakKeyDictionary[Any, dict[str, list[_Claim]]] = weakref.WeakKeyDictionary()


def gateway_key(gateway: Any) -> Any:
    """A gateway's plain identity: a handle's ID string, else the object (a ``TransitNetwork``).

    ``None`` when the identity is an Output (a handle built from outputs): such handles are
    compared by the ID they resolve to.
    """
    gateway_id = getattr(gateway, "transit_gateway_id", None)
    if isinstance(gateway_id, str):
        return gateway_id
    if isinstance(gateway_id, pulumi.Output):
        return None
    return gateway


def _gateway_id(gateway: Any, region: str) -> Any:
    gateway_id = getattr(gateway, "transit_gateway_id", None)
    if callable(gateway_id):  # a TransitNetwork: its gateway in the region
        return gateway_id(region)
    return gateway_id


def _same_gateway(a: _Claim, b: _Claim) -> bool | None:
    """``True``/``False`` when known now, ``None`` when only the resolved IDs can tell."""
    if a.gateway_id is b.gateway_id and a.gateway_id is not None:
        return True
    if a.gateway is not None and b.gateway is not None:
        if isinstance(a.gateway, str) and isinstance(b.gateway, str):
            return a.gateway == b.gateway
        if not isinstance(a.gateway, str) and not isinstance(b.gateway, str):
            return a.gateway is b.gateway
    return None


def _overlap_error(region: str, new: tuple[str, str], other: tuple[str, str]) -> ObsPlatformError:
    (owner, cidr), (other_owner, other_cidr) = new, other
    return ObsPlatformError(
        f"{owner}: VPC CIDR {cidr} overlaps {other_cidr} of {other_owner}, attached to the "
        f"same Transit Gateway in {region}; the gateway can route only one of them.",
        field="CellArgs.vpc_cidr",
        value=cidr,
        fix="Give each VPC on one gateway a distinct CIDR, or allocate the cell's from the "
        "IPAM pool the shared VPC came from (ipam_pool_id), which keeps them disjoint.",
    )


def _overlaps(a: str, b: str) -> bool:
    return ipaddress.ip_network(a, strict=False).overlaps(ipaddress.ip_network(b, strict=False))


def claim_vpc_cidr(
    gateway: Any,
    region: str,
    cidr: pulumi.Input[str],
    owner: str,
    *,
    attached: pulumi.Input[Mapping[str, str]] | None = None,
) -> pulumi.Output[list[pulumi.Resource]] | None:
    """Claim ``cidr`` for ``owner`` on ``gateway`` in ``region``.

    Args:
        gateway: A ``TransitNetwork`` or a ``TransitGatewayHandle``.
        region: The gateway's region.
        cidr: The VPC's CIDR (a string, or an Output for a VPC whose CIDR is allocated).
        owner: Who claims, as the error names it (``"Cell 'eu-west-1'"``).
        attached: ``{name: CIDR}`` of VPCs another stack attached to the same gateway (a
            handle's ``attached_vpc_cidrs``), compared too.

    Returns:
        ``None`` when every comparison was made now, else the gate: an Output of ``[]`` that
        fails with the overlap error; make the claimant's children depend on it.

    Raises:
        ObsPlatformError: When a known CIDR overlaps a known one on the same gateway, naming
            both owners.
    """
    from pulumi.runtime.settings import get_root_resource

    root = get_root_resource()
    new = _Claim(owner, gateway_key(gateway), _gateway_id(gateway, region), cidr)
    claims = _CLAIMS.setdefault(root, {}).setdefault(region, []) if root is not None else []
    deferred: list[_Claim] = []
    for other in claims:
        same = _same_gateway(new, other)
        if same is False:
            continue
        if same and isinstance(cidr, str) and isinstance(other.cidr, str):
            if _overlaps(cidr, other.cidr):
                raise _overlap_error(region, (owner, cidr), (other.owner, other.cidr))
            continue
        deferred.append(other)
    if isinstance(attached, Mapping) and isinstance(cidr, str):
        for name, other_cidr in attached.items():
            if isinstance(other_cidr, str) and _overlaps(cidr, other_cidr):
                raise _overlap_error(region, (owner, cidr), (_attached_owner(name), other_cidr))
    claims.append(new)
    attached_known = isinstance(attached, Mapping) and all(
        isinstance(v, str) for v in attached.values()
    )
    if not deferred and (attached is None or (attached_known and isinstance(cidr, str))):
        return None
    return _gate(region, new, deferred, attached)


def _attached_owner(name: str) -> str:
    return f"{name!r} (attached by another stack)"


def _gate(
    region: str,
    new: _Claim,
    others: list[_Claim],
    attached: pulumi.Input[Mapping[str, str]] | None,
) -> pulumi.Output[list[pulumi.Resource]]:
    known = [_same_gateway(new, other) for other in others]

    def check(values: list[Any]) -> list[pulumi.Resource]:
        own_id, own_cidr, given = values[0], values[1], values[2] or {}
        for index, other in enumerate(others):
            other_id, other_cidr = values[3 + 2 * index], values[4 + 2 * index]
            same = known[index] if known[index] is not None else own_id == other_id
            if same and _overlaps(own_cidr, other_cidr):
                raise _overlap_error(region, (new.owner, own_cidr), (other.owner, other_cidr))
        for name, other_cidr in dict(given).items():
            if _overlaps(own_cidr, other_cidr):
                raise _overlap_error(
                    region, (new.owner, own_cidr), (_attached_owner(name), other_cidr)
                )
        return []

    inputs: list[Any] = [new.gateway_id, new.cidr, attached]
    for other in others:
        inputs += [other.gateway_id, other.cidr]
    return pulumi.Output.all(*inputs).apply(check)
