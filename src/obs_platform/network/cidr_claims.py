"""CIDRs claimed on one Transit Gateway within one program: overlaps are refused up front.

Two VPCs with overlapping CIDRs on one gateway cannot both be routed: the gateway's route table
takes one route per destination (a second static or propagated route for the same CIDR is
refused or loses, Transit Gateway user guide, "Route evaluation order"), so the second cell
would be unreachable or steal the first's traffic. A cell with a fixed ``vpc_cidr`` claims it
here before anything is registered; IPAM allocations (``ipam_pool_id``) are disjoint by
construction and are not known before deploy, so they claim nothing.

Claims belong to the program's root stack resource, so two programs run in one process (the
offline engine in tests) never see each other's.
"""

from __future__ import annotations

import ipaddress
import weakref
from typing import Any

from .._internal.errors import ObsPlatformError

_CLAIMS: weakref.WeakKeyDictionary[Any, dict[tuple[Any, str], list[tuple[str, str]]]] = (
    weakref.WeakKeyDictionary()
)


def gateway_key(gateway: Any) -> Any:
    """The identity of a gateway: the ``TransitNetwork`` object, or a handle's gateway ID."""
    gateway_id = getattr(gateway, "transit_gateway_id", None)
    if isinstance(gateway_id, str):
        return gateway_id
    return id(gateway_id) if gateway_id is not None and not callable(gateway_id) else id(gateway)


def claim_vpc_cidr(gateway: Any, region: str, cidr: str, owner: str) -> None:
    """Claim ``cidr`` for ``owner`` on ``gateway`` in ``region``.

    Raises:
        ObsPlatformError: When it overlaps a CIDR already claimed there, naming both owners.
    """
    from pulumi.runtime.settings import get_root_resource

    root = get_root_resource()
    if root is None:
        return
    claims = _CLAIMS.setdefault(root, {}).setdefault((gateway_key(gateway), region), [])
    network = ipaddress.ip_network(cidr)
    for other_owner, other in claims:
        if network.overlaps(ipaddress.ip_network(other)):
            raise ObsPlatformError(
                f"{owner}: vpc_cidr {cidr} overlaps {other} of {other_owner}, attached to the "
                f"same Transit Gateway in {region}; the gateway can route only one of them.",
                field="CellArgs.vpc_cidr",
                value=cidr,
                fix="Give each VPC on one gateway a distinct CIDR, or allocate them from the "
                "IPAM pool (ipam_pool_id=ipam.pool_id(region)), which keeps them disjoint.",
            )
    claims.append((owner, cidr))


__all__ = ["claim_vpc_cidr", "gateway_key"]
