"""IAM policy documents shared by the layers (pure)."""

from __future__ import annotations

import json

__all__ = ["service_trust_policy"]


def service_trust_policy(service: str) -> str:
    """Return the trust policy that lets one AWS service principal assume a role.

    Args:
        service: The service principal, such as ``"ec2.amazonaws.com"``.

    Returns:
        The policy as compact JSON (``json.dumps`` defaults), the same text for the same service.
    """
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
            ],
        }
    )
