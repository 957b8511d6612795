"""S3 storage for Loki and Tempo: encrypted, private, TLS-only, versioned, expiring, protected.

Each engine has its own KMS key (multi-Region from the start, so that turning on replication to
the DR region later adds a replica key instead of replacing the key that encrypts the data) and
its own buckets. Buckets and keys are protected by default (``protect`` on the args): a
``pulumi destroy`` refuses to delete telemetry until the flag is turned off deliberately.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from .._internal.bucket_policy import read_only_statement
from .._internal.iam import service_trust_policy

if TYPE_CHECKING:
    from .._component import Component

NONCURRENT_VERSION_DAYS = 7
"""Days a replaced or deleted object version is kept (versioning guards against mistakes, not
as a second retention)."""

RETENTION_MARGIN_DAYS = 1
"""Days the bucket lifecycle waits after the engine's own retention before expiring objects, so
the backstop never removes data the engine still serves."""


def tls_only_policy(bucket_arn: str, read_only_for: list[str] | None = None) -> str:
    """A bucket policy refusing requests without TLS, or with TLS older than 1.2.

    Args:
        bucket_arn: The bucket's ARN.
        read_only_for: Role ARNs denied every write (:func:`read_only_statement`), or
            ``None``.
    """
    resources = [bucket_arn, f"{bucket_arn}/*"]
    extra = [read_only_statement(bucket_arn, read_only_for)] if read_only_for else []
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": resources,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                {
                    "Sid": "DenyOutdatedTls",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": resources,
                    "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
                },
                *extra,
            ],
        }
    )


def lifecycle_rules(expiration_days: int | None) -> list[dict[str, Any]]:
    """Lifecycle rules: abort stale uploads, expire old versions and, if given, current objects.

    Args:
        expiration_days: Days after which current objects expire, or ``None`` to keep them.
    """
    rule: dict[str, Any] = {
        "id": "retention",
        "status": "Enabled",
        "filter": {},
        "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
        "noncurrent_version_expiration": {"noncurrent_days": NONCURRENT_VERSION_DAYS},
    }
    if expiration_days is not None:
        rule["expiration"] = {"days": expiration_days}
    return [rule]


def kms_key(
    owner: Component[Any],
    role: str,
    *,
    region: str,
    description: str,
    protect: bool,
    multi_region: bool = False,
    opts: pulumi.ResourceOptions | None = None,
) -> aws.kms.Key:
    """Create a customer-managed KMS key with rotation and an alias ``alias/<child name>``."""
    key = aws.kms.Key(
        owner.child_name(f"{role}-kms"),
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=30,
        multi_region=multi_region,
        region=region,
        tags=owner.tags({"Name": owner.child_name(f"{role}-kms")}),
        opts=owner.child_opts(opts, protect=protect),
    )
    aws.kms.Alias(
        owner.child_name(f"{role}-kms-alias"),
        name=f"alias/{owner.child_name(role)}",
        target_key_id=key.key_id,
        region=region,
        opts=owner.child_opts(opts),
    )
    return key


@dataclass
class Replication:
    """Where a bucket replicates to.

    Attributes:
        region: The DR region.
        key: The KMS key (a replica of the source key) in the DR region.
        role: The S3 replication role.
        failback: Also replicate from the replica back to the source (a stack with a standby,
            whose promoted Loki and Tempo write to the replicas during an outage).
        read_only_for: The standby's Loki and Tempo role ARNs the replica's bucket policy
            denies writes to until promoted (:func:`read_only_statement`), or ``None``.
    """

    region: str
    key: aws.kms.ReplicaKey
    role: aws.iam.Role
    failback: bool = False
    read_only_for: pulumi.Output[list[str]] | None = None


@dataclass
class Bucket:
    """A hardened bucket and the children that configure it.

    Attributes:
        bucket: The bucket.
        configuration: Versioning, encryption, public-access block, policy, lifecycle: what a
            writer should wait for.
        replica: The DR-region bucket, when replicated.
        replica_configuration: The replica's children, as ``configuration`` (its policy among
            them, with the standby's read-only Deny).
    """

    bucket: aws.s3.Bucket
    configuration: list[pulumi.Resource] = field(default_factory=list)
    replica: aws.s3.Bucket | None = None
    replica_configuration: list[pulumi.Resource] = field(default_factory=list)


def _private(
    owner: Component[Any],
    role: str,
    bucket: aws.s3.Bucket,
    *,
    region: str,
    opts: pulumi.ResourceOptions,
) -> tuple[aws.s3.BucketPublicAccessBlock, aws.s3.BucketOwnershipControls]:
    """Block every public access to a bucket and disable its ACLs (owner enforced)."""
    public = aws.s3.BucketPublicAccessBlock(
        owner.child_name(f"{role}-public-access"),
        bucket=bucket.id,
        region=region,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=opts,
    )
    ownership = aws.s3.BucketOwnershipControls(
        owner.child_name(f"{role}-ownership"),
        bucket=bucket.id,
        region=region,
        rule={"object_ownership": "BucketOwnerEnforced"},
        opts=opts,
    )
    return public, ownership


def _harden(
    owner: Component[Any],
    role: str,
    bucket: aws.s3.Bucket,
    *,
    region: str,
    key_arn: pulumi.Input[str],
    expiration_days: int | None,
    opts: pulumi.ResourceOptions | None,
    read_only_for: pulumi.Output[list[str]] | None = None,
) -> list[pulumi.Resource]:
    child = owner.child_opts(opts)
    public, ownership = _private(owner, role, bucket, region=region, opts=child)
    encryption = aws.s3.BucketServerSideEncryptionConfiguration(
        owner.child_name(f"{role}-encryption"),
        bucket=bucket.id,
        region=region,
        rules=[
            {
                "apply_server_side_encryption_by_default": {
                    "sse_algorithm": "aws:kms",
                    "kms_master_key_id": key_arn,
                },
                "bucket_key_enabled": True,
            }
        ],
        opts=child,
    )
    versioning = aws.s3.BucketVersioning(
        owner.child_name(f"{role}-versioning"),
        bucket=bucket.id,
        region=region,
        versioning_configuration={"status": "Enabled"},
        opts=child,
    )
    lifecycle = aws.s3.BucketLifecycleConfiguration(
        owner.child_name(f"{role}-lifecycle"),
        bucket=bucket.id,
        region=region,
        rules=lifecycle_rules(expiration_days),
        opts=owner.child_opts(opts, depends_on=[versioning]),
    )
    policy = aws.s3.BucketPolicy(
        owner.child_name(f"{role}-policy"),
        bucket=bucket.id,
        region=region,
        policy=bucket.arn.apply(tls_only_policy)
        if read_only_for is None
        else pulumi.Output.all(bucket.arn, read_only_for).apply(
            lambda a: tls_only_policy(a[0], list(a[1]))
        ),
        opts=owner.child_opts(opts, depends_on=[public]),
    )
    return [public, ownership, encryption, versioning, lifecycle, policy]


def telemetry_bucket(
    owner: Component[Any],
    role: str,
    *,
    region: str,
    key: aws.kms.Key,
    expiration_days: int | None,
    protect: bool,
    replication: Replication | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> Bucket:
    """Create a telemetry bucket (and, on request, its DR replica) with every guard on.

    Args:
        owner: The component the children belong to.
        role: The bucket's part of the child names (``"loki-chunks"``).
        region: The bucket's region.
        key: The KMS key that encrypts it.
        expiration_days: Days after which objects expire (the engine's retention plus
            :data:`RETENTION_MARGIN_DAYS`), or ``None`` to keep them.
        protect: Protect the bucket (and its replica) from deletion.
        replication: Replicate every object to a bucket in the DR region, or ``None``.
        opts: Extra options for the children.
    """
    bucket = aws.s3.Bucket(
        owner.child_name(f"{role}-bucket"),
        region=region,
        tags=owner.tags({"Name": owner.child_name(f"{role}-bucket")}),
        opts=owner.child_opts(opts, protect=protect),
    )
    result = Bucket(
        bucket,
        _harden(
            owner,
            role,
            bucket,
            region=region,
            key_arn=key.arn,
            expiration_days=expiration_days,
            opts=opts,
        ),
    )
    if replication is None:
        return result
    replica_role = f"{role}-replica"
    replica = aws.s3.Bucket(
        owner.child_name(f"{replica_role}-bucket"),
        region=replication.region,
        tags=owner.tags({"Name": owner.child_name(f"{replica_role}-bucket")}),
        opts=owner.child_opts(opts, protect=protect),
    )
    replica_config = _harden(
        owner,
        replica_role,
        replica,
        region=replication.region,
        key_arn=replication.key.arn,
        expiration_days=expiration_days,
        opts=opts,
        read_only_for=replication.read_only_for,
    )
    source_versioning = result.configuration[3]
    replica_versioning = replica_config[3]
    _replicate(
        owner,
        f"{role}-replication",
        "dr",
        source=(bucket, key),
        source_region=region,
        destination=(replica, replication.key),
        role=replication.role,
        waits=[source_versioning, replica_versioning],
        opts=opts,
    )
    if replication.failback:
        # The way back: what a promoted standby writes into the replica during an outage
        # reaches the primary's bucket when its region is back. S3 does not replicate an
        # object that is itself a replica made by another rule (S3 user guide, "What isn't
        # replicated with replication configurations"), so the two rules do not loop: this
        # one carries only the standby's own writes (none while it is read-only).
        _replicate(
            owner,
            f"{role}-failback-replication",
            "failback",
            source=(replica, replication.key),
            source_region=replication.region,
            destination=(bucket, key),
            role=replication.role,
            waits=[source_versioning, replica_versioning],
            opts=opts,
        )
    result.replica = replica
    result.replica_configuration = replica_config
    return result


def _replicate(
    owner: Component[Any],
    name: str,
    rule_id: str,
    *,
    source: tuple[aws.s3.Bucket, Any],
    source_region: str,
    destination: tuple[aws.s3.Bucket, Any],
    role: aws.iam.Role,
    waits: list[pulumi.Resource],
    opts: pulumi.ResourceOptions | None,
) -> aws.s3.BucketReplicationConfig:
    """Replicate every SSE-KMS object and delete marker of one bucket to another.

    ``source`` and ``destination`` are ``(bucket, KMS key)``; the role gets the pair's
    permissions as ``{name}-policy``.
    """
    (source_bucket, source_key), (destination_bucket, destination_key) = source, destination
    aws.iam.RolePolicy(
        owner.child_name(f"{name}-policy"),
        role=role.id,
        policy=pulumi.Output.all(
            source_bucket.arn, destination_bucket.arn, source_key.arn, destination_key.arn
        ).apply(lambda a: replication_policy(*a)),
        opts=owner.child_opts(opts),
    )
    return aws.s3.BucketReplicationConfig(
        owner.child_name(name),
        bucket=source_bucket.id,
        region=source_region,
        role=role.arn,
        rules=[
            {
                "id": rule_id,
                "status": "Enabled",
                "filter": {},
                "delete_marker_replication": {"status": "Enabled"},
                "source_selection_criteria": {"sse_kms_encrypted_objects": {"status": "Enabled"}},
                "destination": {
                    "bucket": destination_bucket.arn,
                    "encryption_configuration": {"replica_kms_key_id": destination_key.arn},
                },
            }
        ],
        # Both buckets must be versioned first (S3 API reference, PutBucketReplication).
        opts=owner.child_opts(opts, depends_on=waits),
    )


def replication_policy(
    source_arn: str, replica_arn: str, source_key_arn: str, replica_key_arn: str
) -> str:
    """The S3 replication role's permissions for one source/replica bucket pair."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ReadSource",
                    "Effect": "Allow",
                    "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                    "Resource": source_arn,
                },
                {
                    "Sid": "ReadSourceVersions",
                    "Effect": "Allow",
                    "Action": [
                        "s3:GetObjectVersionForReplication",
                        "s3:GetObjectVersionAcl",
                        "s3:GetObjectVersionTagging",
                    ],
                    "Resource": f"{source_arn}/*",
                },
                {
                    "Sid": "WriteReplica",
                    "Effect": "Allow",
                    "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                    "Resource": f"{replica_arn}/*",
                },
                {
                    "Sid": "DecryptSource",
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt"],
                    "Resource": source_key_arn,
                },
                {
                    "Sid": "EncryptReplica",
                    "Effect": "Allow",
                    "Action": ["kms:Encrypt"],
                    "Resource": replica_key_arn,
                },
            ],
        }
    )


def replication_role(
    owner: Component[Any],
    *,
    source_key: aws.kms.Key,
    dr_region: str,
    role: str,
    protect: bool,
    failback: bool = False,
    read_only_for: pulumi.Output[list[str]] | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> Replication:
    """Create the DR replica of a KMS key and the S3 replication role for one engine.

    With ``failback`` the buckets also replicate back, and ``read_only_for`` keeps the replicas
    read-only for those roles (see :class:`Replication`).
    """
    replica_key = aws.kms.ReplicaKey(
        owner.child_name(f"{role}-kms-replica"),
        primary_key_arn=source_key.arn,
        description=f"DR replica of {owner.child_name(f'{role}-kms')}",
        deletion_window_in_days=30,
        region=dr_region,
        tags=owner.tags({"Name": owner.child_name(f"{role}-kms-replica")}),
        opts=owner.child_opts(opts, protect=protect),
    )
    iam_role = aws.iam.Role(
        owner.child_name(f"{role}-replication-role"),
        assume_role_policy=service_trust_policy("s3.amazonaws.com"),
        tags=owner.tags({"Name": owner.child_name(f"{role}-replication-role")}),
        opts=owner.child_opts(opts),
    )
    return Replication(
        region=dr_region,
        key=replica_key,
        role=iam_role,
        failback=failback,
        read_only_for=read_only_for,
    )


def access_log_policy(bucket_arn: str, account_id: str, region: str) -> str:
    """A bucket policy letting Elastic Load Balancing deliver NLB access logs, TLS-only otherwise.

    The statements are the ones the NLB user guide gives ("Enable access logs for your Network
    Load Balancer", bucket requirements): ``delivery.logs.amazonaws.com`` may check the bucket
    ACL and put objects under ``AWSLogs/<account>/``, only for this account's log deliveries in
    this region.
    """
    tls = json.loads(tls_only_policy(bucket_arn))
    condition = {
        "StringEquals": {"aws:SourceAccount": [account_id]},
        "ArnLike": {"aws:SourceArn": [f"arn:aws:logs:{region}:{account_id}:*"]},
    }
    delivery = [
        {
            "Sid": "AWSLogDeliveryAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": "delivery.logs.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn,
            "Condition": condition,
        },
        {
            "Sid": "AWSLogDeliveryWrite",
            "Effect": "Allow",
            "Principal": {"Service": "delivery.logs.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/AWSLogs/{account_id}/*",
            "Condition": {
                "StringEquals": {
                    "s3:x-amz-acl": "bucket-owner-full-control",
                    "aws:SourceAccount": [account_id],
                },
                "ArnLike": {"aws:SourceArn": [f"arn:aws:logs:{region}:{account_id}:*"]},
            },
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": tls["Statement"] + delivery})


ACCESS_LOG_DAYS = 90
"""Days the load balancer access logs are kept."""


def access_log_bucket(
    owner: Component[Any],
    role: str,
    *,
    region: str,
    account_id: pulumi.Input[str],
    protect: bool,
) -> Bucket:
    """Create a bucket for load balancer access logs: private, SSE-S3, TLS-only, expiring.

    Encrypted with S3-managed keys (SSE-S3), which log delivery supports without a key policy
    grant (the NLB guide's "Encryption" requirement: SSE-S3, or SSE-KMS with a customer managed
    key whose policy admits ``delivery.logs.amazonaws.com``). Objects expire after
    :data:`ACCESS_LOG_DAYS`.
    """
    bucket = aws.s3.Bucket(
        owner.child_name(f"{role}-bucket"),
        region=region,
        tags=owner.tags({"Name": owner.child_name(f"{role}-bucket")}),
        opts=owner.child_opts(protect=protect),
    )
    child = owner.child_opts()
    public, ownership = _private(owner, role, bucket, region=region, opts=child)
    configuration: list[pulumi.Resource] = [
        public,
        ownership,
        aws.s3.BucketServerSideEncryptionConfiguration(
            owner.child_name(f"{role}-encryption"),
            bucket=bucket.id,
            region=region,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
            opts=child,
        ),
        aws.s3.BucketLifecycleConfiguration(
            owner.child_name(f"{role}-lifecycle"),
            bucket=bucket.id,
            region=region,
            rules=lifecycle_rules(ACCESS_LOG_DAYS),
            opts=child,
        ),
        aws.s3.BucketPolicy(
            owner.child_name(f"{role}-policy"),
            bucket=bucket.id,
            region=region,
            policy=pulumi.Output.all(bucket.arn, account_id).apply(
                lambda a: access_log_policy(a[0], a[1], region)
            ),
            opts=owner.child_opts(depends_on=[public]),
        ),
    ]
    return Bucket(bucket, configuration)
