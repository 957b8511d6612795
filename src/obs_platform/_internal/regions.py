"""AWS commercial regions and their validation.

The list is the set of commercial (``aws`` partition) regions as of 2026. GovCloud and China
regions live in other partitions with other ARNs and are out of scope for this library.
"""

from __future__ import annotations

import difflib
import re

COMMERCIAL_REGIONS: frozenset[str] = frozenset(
    {
        "af-south-1",
        "ap-east-1",
        "ap-east-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-6",
        "ap-southeast-7",
        "ca-central-1",
        "ca-west-1",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "mx-central-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
    }
)
"""Every commercial AWS region a component accepts."""

OTHER_PARTITIONS: dict[str, str] = {
    "us-gov-": "AWS GovCloud (US)",
    "cn-": "AWS China",
    "eusc-": "AWS European Sovereign Cloud",
    "us-iso": "AWS ISO",
    "eu-isoe-": "AWS ISO",
}
"""Region prefixes of the partitions other than ``aws`` (the ``regionRegex`` of each partition in
botocore's ``data/partitions.json``), which this library does not support."""

ROUTE53_METRICS_REGION = "us-east-1"
"""Route 53 publishes health-check metrics only in us-east-1, so alarms on them live there."""


_NUMBER_LOOKALIKES = str.maketrans({"l": "1", "i": "1", "|": "1", "o": "0"})
"""Letters typed for digits in a region's number (``eu-west-l`` means ``eu-west-1``)."""

_REGION_SHAPE = re.compile(r"^([a-z]{2})-?([a-z]+?)-?([0-9]+)[a-z]?$")
"""``<geography>-<direction>-<number>``, dashes optional, an availability zone's letter allowed."""


def _parts(region: str) -> tuple[str, str, int] | None:
    """Split a region code into geography, direction and number (``("eu", "west", 1)``)."""
    match = _REGION_SHAPE.match(region)
    return (match[1], match[2], int(match[3])) if match else None


_KNOWN_PARTS: dict[str, tuple[str, str, int]] = {
    region: parts for region in COMMERCIAL_REGIONS if (parts := _parts(region)) is not None
}


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


def suggest_region(value: str) -> str | None:
    """Return the closest known region to a mistyped one, or ``None``.

    The typo is read as ``<geography>-<direction>-<number>``: a region in the same geography is
    preferred, then the closest direction, then the closest number, so ``eu-west-l`` suggests
    ``eu-west-1`` (not ``eu-west-3``), ``us-est-1`` suggests ``us-east-1`` and ``eu-west-4``
    suggests ``eu-west-3``. An availability zone (``eu-west-1a``) suggests its region. A value
    of another shape falls back to the closest spelling overall.

    Args:
        value: The region string that failed validation.
    """
    text = re.sub(r"[\s_]+", "-", value.strip().lower())
    if text.startswith(tuple(OTHER_PARTITIONS)):
        return None  # a real region, of another partition: no commercial look-alike helps
    head, dash, number = text.rpartition("-")
    if dash and head:
        text = f"{head}-{number.translate(_NUMBER_LOOKALIKES)}"
    parts = _parts(text)
    if parts is not None:
        geography, direction, number_value = parts

        def score(region: str) -> tuple[float, float, int, float]:
            their_geography, their_direction, their_number = _KNOWN_PARTS[region]
            return (
                _similarity(geography, their_geography),
                _similarity(direction, their_direction),
                -abs(number_value - their_number),
                _similarity(text, region),
            )

        best = max(sorted(_KNOWN_PARTS), key=score)
        geography_score, direction_score, _, _ = score(best)
        if geography_score >= 0.5 and direction_score >= 0.5:
            return best
    matches = difflib.get_close_matches(text, sorted(COMMERCIAL_REGIONS), n=1, cutoff=0.6)
    return matches[0] if matches else None


def check_region(value: str) -> str:
    """Validate an AWS region name and return it.

    Args:
        value: A region such as ``"eu-west-1"``.

    Raises:
        ValueError: If the region is not a commercial AWS region; the message suggests the
            closest match.
    """
    if value in COMMERCIAL_REGIONS:
        return value
    partition = next(
        (name for prefix, name in OTHER_PARTITIONS.items() if str(value).startswith(prefix)), None
    )
    if partition is not None:
        raise ValueError(
            f"{value!r} is not a commercial AWS region: it is in the {partition} partition, and "
            "this library builds ARNs and "
            "service endpoints of the commercial 'aws' partition only. Use a commercial region "
            "such as 'eu-west-1' or 'us-east-1'."
        )
    hint = suggest_region(value)
    did_you_mean = f" Did you mean {hint!r}?" if hint else ""
    raise ValueError(
        f"{value!r} is not a commercial AWS region.{did_you_mean} "
        "Use a region code such as 'eu-west-1' or 'us-east-1'."
    )


ZONE_COUNTS: dict[str, int] = {
    "us-east-1": 6,
    "us-east-2": 3,
    "us-west-1": 2,
    "us-west-2": 4,
    "ap-northeast-1": 3,
    "ap-northeast-2": 4,
}
"""Availability Zones a new account can use, where the region has other than three. Sources: the
AWS Global Infrastructure page (us-east-1 six zones, us-west-2 four, ap-northeast-2 four) and
``aws ec2 describe-availability-zones`` in a new account (us-west-1 offers two of its three,
``usw1-az1`` and ``usw1-az3``; ap-northeast-1 three of its four). Every other
commercial region has three (AWS builds each new region with at least three)."""
DEFAULT_ZONE_COUNT = 3


def zone_count(region: str) -> int:
    """Return how many Availability Zones an account can place subnets in, in ``region``."""
    return ZONE_COUNTS.get(region, DEFAULT_ZONE_COUNT)


def check_az_count(az_count: int, region: str) -> None:
    """Refuse more zones than the region has (the subnets would fail half-way in ``pulumi up``).

    Raises:
        ValueError: Naming the field, the value, the region's count and the fix.
    """
    zones = zone_count(region)
    if az_count > zones:
        raise ValueError(
            f"az_count {az_count} is more than the {zones} Availability Zones {region} offers; "
            f"set az_count to {zones} or fewer"
        )
