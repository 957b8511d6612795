"""IAM policy documents shared by the layers (pure)."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["policy_document", "service_trust_policy"]


def policy_document(statements: list[dict[str, Any]]) -> str:
    """Return an IAM policy document (version 2012-10-17) of ``statements``, indented JSON."""
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2)


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
