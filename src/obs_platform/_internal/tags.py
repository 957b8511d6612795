"""The one tag helper, with its documented precedence and AWS's limits.

Precedence, lowest to highest:

1. the library's own tags (``obs-platform:component``, ``obs-platform:managed-by``), which say
   which component made a resource;
2. the tags a caller passes on a component's args (``tags=``);
3. the tags a component sets for one child (for example ``Name``, ``cell``, ``region``).

A later layer overrides an earlier one key by key. Layer 3 wins because those keys carry meaning
the component relies on (cost allocation by ``cell``, names in the console); layer 2 can still add
any other key and override the library's defaults.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

MAX_TAGS = 50
"""AWS's limit of user tags per resource (EC2, IAM, S3 and the others the library tags)."""
RESERVED_TAGS = 10
"""Keys the library may add to one resource: its own two (``obs-platform:managed-by``,
``obs-platform:component``) and the per-child keys a component sets (``Name``, ``cell``,
``region``, ``dr-role``, Kubernetes discovery tags on subnets...)."""
MAX_USER_TAGS = MAX_TAGS - RESERVED_TAGS
"""Tags a caller may pass on a component's args: the rest of AWS's 50 is kept for the library,
so a map that fits the args always fits every child (refused at validation, not half-way)."""
MAX_KEY_LENGTH = 128
MAX_VALUE_LENGTH = 256
_ALLOWED = re.compile(r"^[\w\s.:/=+\-@]*$", re.UNICODE)

MANAGED_BY_KEY = "obs-platform:managed-by"
COMPONENT_KEY = "obs-platform:component"


def check_tags(tags: Mapping[str, str], limit: int = MAX_TAGS) -> dict[str, str]:
    """Validate a tag map against AWS's limits and return it as a plain dict.

    Args:
        tags: Keys and values as the caller wrote them.
        limit: The most tags allowed (:data:`MAX_USER_TAGS` for a caller's map).

    Raises:
        ValueError: Naming the key at fault, the limit broken and the fix.
    """
    if len(tags) > limit:
        kept = (
            f" ({RESERVED_TAGS} of them are kept for the library's own)" if limit < MAX_TAGS else ""
        )
        raise ValueError(
            f"{len(tags)} tags given; at most {limit} fit: AWS allows {MAX_TAGS} per "
            f"resource{kept}. Remove some tags or move them to a cost-allocation scheme."
        )
    for key, value in tags.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ValueError(f"tag {key!r}: keys and values must be strings, got {value!r}.")
        if not key or len(key) > MAX_KEY_LENGTH:
            raise ValueError(
                f"tag key {key!r} is {len(key)} characters; AWS allows 1 to {MAX_KEY_LENGTH}. "
                "Shorten the key."
            )
        if len(value) > MAX_VALUE_LENGTH:
            raise ValueError(
                f"tag {key!r} has a value of {len(value)} characters; AWS allows at most "
                f"{MAX_VALUE_LENGTH}. Shorten the value."
            )
        if key.lower().startswith("aws:"):
            raise ValueError(
                f"tag key {key!r} uses the reserved 'aws:' prefix, which AWS refuses. "
                "Choose another prefix, such as 'team:'."
            )
        if not _ALLOWED.match(key) or not _ALLOWED.match(value):
            raise ValueError(
                f"tag {key!r}={value!r} holds characters AWS refuses; use letters, digits, "
                "spaces and _ . : / = + - @ only."
            )
    return dict(tags)


def merge_tags(
    component_type: str,
    user_tags: Mapping[str, str] | None = None,
    resource_tags: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Merge the three tag layers in the documented precedence and validate the result.

    Args:
        component_type: The Pulumi type token of the component that owns the resource.
        user_tags: Tags from the component's args (layer 2).
        resource_tags: Tags the component sets for this one resource (layer 3, wins).

    Returns:
        The merged tags, at most 50, ready for a resource's ``tags`` input.
    """
    merged: dict[str, str] = {MANAGED_BY_KEY: "obs-platform", COMPONENT_KEY: component_type}
    merged.update(user_tags or {})
    merged.update(resource_tags or {})
    return check_tags(merged)
