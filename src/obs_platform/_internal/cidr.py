"""Deterministic IPv4 CIDR carving: regional pools from a top-level CIDR, subnets from a VPC.

The rules, which the hypothesis tests check:

* **Deterministic**: the same inputs always give the same blocks.
* **Contained**: every block lies inside the parent.
* **No overlaps**: no two blocks share an address.
* **Stable under append**: the block of a key depends only on the keys before it (and their
  pins), so appending a key never moves an existing block. Removing or reordering keys can; pin
  a key's block (``pinned``) to keep it where it is.
* **Exhaustion detected**: when the parent has no room left, :class:`CidrError` says the
  arithmetic (how many blocks of that size fit and how many were asked for).

Nothing here creates resources.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence

MIN_VPC_NETMASK_LENGTH = 16
"""AWS's largest VPC is a /16."""

MAX_VPC_NETMASK_LENGTH = 28
"""AWS's smallest VPC (and subnet) is a /28."""


class CidrError(ValueError):
    """A CIDR plan that cannot be carved: the message says what, the numbers and the fix.

    Attributes:
        key: The key (region, environment, subnet index) at fault, or ``None``.
        value: The CIDR or netmask length at fault.
    """

    def __init__(self, message: str, *, key: str | None = None, value: object = None) -> None:
        super().__init__(message)
        self.key = key
        self.value = value


def network(cidr: str) -> ipaddress.IPv4Network:
    """Parse a CIDR strictly (no host bits set).

    Args:
        cidr: Such as ``"10.0.0.0/8"``.

    Raises:
        CidrError: If ``cidr`` is not an IPv4 network or has host bits set (mis-aligned).
    """
    try:
        return ipaddress.IPv4Network(cidr, strict=True)
    except ValueError:
        try:
            aligned = ipaddress.IPv4Network(cidr, strict=False)
        except ValueError:
            raise CidrError(
                f"{cidr!r} is not an IPv4 CIDR; write it as address/prefix, such as '10.0.0.0/16'.",
                value=cidr,
            ) from None
        raise CidrError(
            f"{cidr!r} is mis-aligned: host bits are set for a /{aligned.prefixlen}; "
            f"the network address is {str(aligned)!r}. Use the network address.",
            value=cidr,
        ) from None


def capacity(parent: str, prefix_length: int) -> int:
    """Return how many blocks of ``/prefix_length`` fit in ``parent``.

    Raises:
        CidrError: If the block is larger than the parent or longer than /32.
    """
    net = network(parent)
    _check_prefix(net, prefix_length)
    return int(2 ** (prefix_length - net.prefixlen))


def _check_prefix(net: ipaddress.IPv4Network, prefix_length: int) -> None:
    if not isinstance(prefix_length, int) or isinstance(prefix_length, bool):
        raise CidrError(f"netmask length {prefix_length!r} is not an integer.", value=prefix_length)
    if prefix_length < net.prefixlen or prefix_length > 32:
        raise CidrError(
            f"a /{prefix_length} block does not fit in {net} (a /{net.prefixlen}); the netmask "
            f"length must be between {net.prefixlen} and 32.",
            value=prefix_length,
        )


def carve(
    parent: str,
    prefix_length: int,
    keys: Sequence[str],
    *,
    pinned: Mapping[str, str] | None = None,
    what: str = "block",
) -> dict[str, str]:
    """Assign each key a ``/prefix_length`` block inside ``parent``, deterministically.

    Keys are served in order. A pinned key gets its pinned CIDR (any size inside the parent);
    every other key gets the lowest ``/prefix_length`` block that overlaps no block already
    given to an earlier key. Hence a key's block depends only on the keys before it.

    Args:
        parent: The CIDR to carve, such as ``"10.0.0.0/8"``.
        prefix_length: The netmask length of each carved block, such as ``12``.
        keys: The keys in their stable order (append new keys at the end).
        pinned: Explicit CIDRs for some keys, to keep a block where it is when the key order
            changes.
        what: What a key is (``"region"``), for messages.

    Returns:
        ``{key: cidr}`` in the order of ``keys``.

    Raises:
        CidrError: On duplicate keys, a pin for an unknown key, a pin outside the parent or
            overlapping an earlier block, or when the parent is exhausted (the message gives
            the arithmetic).
    """
    net = network(parent)
    _check_prefix(net, prefix_length)
    pins = dict(pinned or {})
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise CidrError(
                f"{what} {key!r} is listed twice; list each {what} once.", key=key, value=key
            )
        seen.add(key)
    for key, cidr in pins.items():
        if key not in seen:
            raise CidrError(
                f"a CIDR is pinned for {what} {key!r}, which is not in the list "
                f"{list(keys)!r}; add it or remove the pin.",
                key=key,
                value=cidr,
            )
        pin = network(cidr)
        if not pin.subnet_of(net):
            raise CidrError(
                f"the CIDR {cidr!r} pinned for {what} {key!r} is not inside {net}; "
                f"pin a block within {net}.",
                key=key,
                value=cidr,
            )

    step = 2 ** (32 - prefix_length)
    base = int(net.network_address)
    slots = capacity(parent, prefix_length)
    taken: list[ipaddress.IPv4Network] = []
    owners: list[str] = []
    result: dict[str, str] = {}
    next_slot = 0
    for key in keys:
        if key in pins:
            block = network(pins[key])
            for owner, other in zip(owners, taken, strict=True):
                if block.overlaps(other):
                    raise CidrError(
                        f"the CIDR {str(block)!r} pinned for {what} {key!r} overlaps "
                        f"{str(other)!r} of {what} {owner!r}; pin a block that overlaps no "
                        f"other {what}'s.",
                        key=key,
                        value=str(block),
                    )
        else:
            found: ipaddress.IPv4Network | None = None
            while next_slot < slots:
                candidate = ipaddress.IPv4Network((base + next_slot * step, prefix_length))
                clash = next((other for other in taken if candidate.overlaps(other)), None)
                if clash is None:
                    found = candidate
                    break
                # Skip past the whole clashing block (a large pin covers many slots).
                after = (int(clash.broadcast_address) + 1 - base) // step
                next_slot = max(next_slot + 1, after)
            if found is None:
                unpinned = sum(1 for k in keys if k not in pins)
                raise CidrError(
                    f"{net} is exhausted: it holds 2**({prefix_length}-{net.prefixlen}) = {slots} "
                    f"blocks of /{prefix_length}, and {len(keys)} {what}s need {unpinned} of them"
                    + (f" beside {len(pins)} pinned" if pins else "")
                    + f"; no free /{prefix_length} is left for {what} {key!r}. Use a larger "
                    f"netmask length (smaller blocks) or a larger parent CIDR.",
                    key=key,
                    value=prefix_length,
                )
            next_slot += 1
            block = found
        taken.append(block)
        owners.append(key)
        result[key] = str(block)
    return result


def subnets(cidr: str, prefix_length: int, count: int) -> list[str]:
    """Return the first ``count`` blocks of ``/prefix_length`` inside ``cidr``, in order.

    Args:
        cidr: The VPC CIDR, such as ``"10.16.0.0/20"``.
        prefix_length: Each subnet's netmask length, such as ``22``.
        count: How many subnets (one per availability zone).

    Raises:
        CidrError: If they do not fit; the message gives the arithmetic.
    """
    keys = [str(i) for i in range(count)]
    return list(carve(cidr, prefix_length, keys, what="subnet").values())


def check_disjoint(cidrs: Mapping[str, str], *, what: str = "block") -> None:
    """Check that no two named CIDRs overlap.

    Raises:
        CidrError: Naming both keys and CIDRs of the first overlap found.
    """
    items = [(key, network(value)) for key, value in cidrs.items()]
    for i, (key_a, net_a) in enumerate(items):
        for key_b, net_b in items[i + 1 :]:
            if net_a.overlaps(net_b):
                raise CidrError(
                    f"{what} {key_a!r} ({net_a}) overlaps {what} {key_b!r} ({net_b}); "
                    "choose CIDRs that do not overlap.",
                    key=key_b,
                    value=str(net_b),
                )
