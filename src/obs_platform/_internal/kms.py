"""KMS key policies that AWS services need before they may use a customer-managed key (pure).

* CloudWatch Logs encrypts a log group with a key only if the key policy lets the regional
  service principal ``logs.<region>.amazonaws.com`` use it, for that log group's ARN as
  encryption context (CloudWatch Logs user guide, "Encrypt log data in CloudWatch Logs using AWS
  Key Management Service", step 2: the key policy).
* EC2 Auto Scaling launches instances with encrypted volumes only if the key policy gives its
  service-linked role ``AWSServiceRoleForAutoScaling`` the use of the key and
  ``kms:CreateGrant`` for AWS resources (EC2 Auto Scaling user guide, "Required AWS KMS key
  policy for use with encrypted volumes"); otherwise launches fail with
  ``Client.InternalError: Client error on launch``. KMS refuses a key policy naming a principal
  that does not exist yet, and that role exists only after the account's first Auto Scaling
  group, so the library puts node volumes on the AWS-managed ``aws/ebs`` key instead and
  :func:`grants_auto_scaling` lets the guardrails check a key a user brings.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

__all__ = [
    "AUTO_SCALING_ROLE",
    "auto_scaling_key_statements",
    "grants_auto_scaling",
    "log_group_arn",
    "logs_key_policy",
]

AUTO_SCALING_ROLE = "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
"""The EC2 Auto Scaling service-linked role, after ``arn:aws:iam::<account>:``."""

_KEY_USE = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
]


def log_group_arn(region: str, account_id: str, name: str) -> str:
    """Return a log group's ARN as CloudWatch Logs writes it in the encryption context."""
    return f"arn:aws:logs:{region}:{account_id}:log-group:{name}"


def _root_statement(account_id: str) -> dict[str, Any]:
    # The default key policy's statement: IAM policies in the account govern the key.
    return {
        "Sid": "EnableIamPolicies",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def logs_key_policy(account_id: str, region: str, log_group_names: Sequence[str]) -> str:
    """Return a key policy: the account's IAM policies, plus CloudWatch Logs for these groups.

    Args:
        account_id: The key's account.
        region: The key's (and the log groups') region.
        log_group_names: The log groups the key may encrypt.
    """
    statements: list[dict[str, Any]] = [_root_statement(account_id)]
    if log_group_names:
        statements.append(
            {
                "Sid": "CloudWatchLogsLogGroups",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": [
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                "Resource": "*",
                "Condition": {
                    "ArnEquals": {
                        "kms:EncryptionContext:aws:logs:arn": [
                            log_group_arn(region, account_id, name) for name in log_group_names
                        ]
                    }
                },
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


def auto_scaling_key_statements(account_id: str) -> list[dict[str, Any]]:
    """Return the two key-policy statements EC2 Auto Scaling needs for encrypted volumes.

    As the EC2 Auto Scaling user guide gives them: the service-linked role may use the key, and
    may create grants for AWS resources (``kms:GrantIsForAWSResource``). Add them to the policy
    of a customer-managed key passed as ``CellArgs.node_volume_kms_key_arn``, once the role
    exists in the account.
    """
    role = f"arn:aws:iam::{account_id}:{AUTO_SCALING_ROLE}"
    return [
        {
            "Sid": "AllowAutoScalingServiceLinkedRoleUseOfTheKey",
            "Effect": "Allow",
            "Principal": {"AWS": role},
            "Action": list(_KEY_USE),
            "Resource": "*",
        },
        {
            "Sid": "AllowAutoScalingAttachmentOfPersistentResources",
            "Effect": "Allow",
            "Principal": {"AWS": role},
            "Action": "kms:CreateGrant",
            "Resource": "*",
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": True}},
        },
    ]


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def grants_auto_scaling(policy: str | dict[str, Any] | None) -> bool:
    """Whether a key policy lets the Auto Scaling service-linked role use the key and grant.

    ``None`` (the default key policy) grants nothing to service-linked roles.
    """
    if policy is None:
        return False
    try:
        document = json.loads(policy) if isinstance(policy, str) else policy
    except ValueError:
        return False
    needed = {"kms:Decrypt", "kms:GenerateDataKey*", "kms:CreateGrant"}
    granted: set[str] = set()
    for statement in _as_list(document.get("Statement") or []):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principals = statement.get("Principal") or {}
        arns = _as_list(principals.get("AWS", [])) if isinstance(principals, dict) else []
        if not any(isinstance(a, str) and a.endswith(AUTO_SCALING_ROLE) for a in arns):
            continue
        for action in _as_list(statement.get("Action") or []):
            if action in ("kms:*", "*"):
                granted |= needed
            elif action in ("kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext"):
                granted.add("kms:GenerateDataKey*")
            else:
                granted.add(action)
    return needed <= granted
