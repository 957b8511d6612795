"""The replica bucket policy statement that keeps an observability stack's standby read-only.

The standby's Loki and Tempo roles hold their write grant statically (IAM, at deploy time); a
Deny in each replica bucket's policy withholds it until promotion. Promotion and demotion are
then ``GetBucketPolicy`` / ``PutBucketPolicy`` on the bucket, sent to the bucket's own
Regional endpoint: the AWS Fault Isolation Boundaries whitepaper (*Regional services*) names
S3 a Regional service ("you only interact with the Regional endpoint of the service"), so the
calls work while another region is down. Changing IAM instead (``AttachRolePolicy``) would
need IAM's one control plane for all commercial regions, in us-east-1 (IAM user guide,
*Resilience in AWS Identity and Access Management*); the whitepaper's Appendix A says not to
rely on it in a recovery path, and names "only attaching the admin policy when required" as
the design that is not statically stable. Bucket configuration is eventually consistent (S3
user guide, *Amazon S3 data consistency model*), so a promotion can take a moment to apply;
Loki and Tempo retry their flushes meanwhile. The program (``observability/storage.py``)
writes the statement; ``obs-platform dr`` (``ops/``) removes and restores it.
"""

from __future__ import annotations

import json
from typing import Any

READ_ONLY_SID = "ObsPlatformReadOnlyUntilPromoted"
"""The ``Sid`` of the replica bucket policy statement that keeps a standby read-only.

``obs-platform dr failover`` removes the statement with this ``Sid`` (``GetBucketPolicy``,
``PutBucketPolicy`` in the bucket's region) and ``dr failback`` puts it back: a change of a
regional service's resource, never of IAM, whose control plane is in us-east-1."""

STANDBY_WRITE_ACTIONS = ("s3:PutObject", "s3:DeleteObject")
"""The S3 actions a standby's Loki and Tempo roles are granted on the replica buckets at deploy
time (:func:`~obs_platform.observability.identity.bucket_write_policy`). Multipart uploads are
authorized as ``s3:PutObject`` (S3 user guide, *Multipart upload and permissions*)."""

READ_ONLY_DENIED_ACTIONS = tuple(sorted(STANDBY_WRITE_ACTIONS))
"""What the statement denies: every S3 action of the write grant, so the two cannot drift."""


def read_only_statement(bucket_arn: str, writer_arns: list[str]) -> dict[str, Any]:
    """The Deny that keeps a replica bucket read-only for a standby's Loki and Tempo roles.

    An explicit Deny in a resource-based policy overrides the roles' identity-based Allow (IAM
    user guide, *Policy evaluation logic*). The roles are matched with ``aws:PrincipalArn``,
    which for a role session is the role's ARN (IAM user guide, *AWS global condition context
    keys*), so the S3 replication role (``s3:ReplicateObject``, ``s3:ReplicateDelete``,
    ``s3:ReplicateTags``, none of them denied) and every other principal are unaffected.
    """
    return {
        "Sid": READ_ONLY_SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": list(READ_ONLY_DENIED_ACTIONS),
        "Resource": f"{bucket_arn}/*",
        "Condition": {"ArnEquals": {"aws:PrincipalArn": sorted(writer_arns)}},
    }


def without_statement(document: str, sid: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Return a policy document without the statement ``sid``, and that statement (or ``None``).

    The other statements (TLS-only and any an operator added) are kept as they are.
    """
    policy: dict[str, Any] = json.loads(document)
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    found = next((s for s in statements if isinstance(s, dict) and s.get("Sid") == sid), None)
    policy["Statement"] = [s for s in statements if s is not found]
    return policy, found
