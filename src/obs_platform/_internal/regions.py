"""AWS commercial regions and their validation.

The list is the set of commercial (``aws`` partition) regions as of 2026. GovCloud and China
regions live in other partitions with other ARNs and are out of scope for this library.
"""

from __future__ import annotations

import difflib

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

ROUTE53_METRICS_REGION = "us-east-1"
"""Route 53 publishes health-check metrics only in us-east-1, so alarms on them live there."""


def suggest_region(value: str) -> str | None:
    """Return the closest known region to a mistyped one, or ``None``.

    Args:
        value: The region string that failed validation.
    """
    matches = difflib.get_close_matches(
        value.strip().lower(), sorted(COMMERCIAL_REGIONS), n=1, cutoff=0.6
    )
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
    hint = suggest_region(value)
    did_you_mean = f" Did you mean {hint!r}?" if hint else ""
    raise ValueError(
        f"{value!r} is not a commercial AWS region.{did_you_mean} "
        "Use a region code such as 'eu-west-1' or 'us-east-1'."
    )
