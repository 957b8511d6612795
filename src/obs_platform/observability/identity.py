"""IAM roles for workloads in the cluster: EKS Pod Identity or IRSA, one setting for all.

Each workload (Loki, Tempo, the EBS CSI driver, Grafana, Prometheus) gets its own role, trusted
only by its own service account, with an inline policy limited to what it needs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from .._internal.bucket_policy import STANDBY_WRITE_ACTIONS

if TYPE_CHECKING:
    from .._component import Component


class WorkloadIdentity(StrEnum):
    """How pods get AWS credentials."""

    POD_IDENTITY = "pod-identity"
    """EKS Pod Identity: the agent add-on and one association per service account. No OIDC
    provider, no annotations; AWS's recommended mechanism for EKS."""
    IRSA = "irsa"
    """IAM roles for service accounts: the cluster's OIDC provider and a role-ARN annotation on
    each service account."""


@dataclass
class ClusterIdentity:
    """What a workload role needs to know about the cluster.

    Attributes:
        mode: Pod Identity or IRSA.
        cluster_name: The EKS cluster's name (an Output that depends on the cluster).
        region: The cluster's region.
        oidc_provider_arn: The OIDC provider's ARN (IRSA).
        oidc_issuer: The issuer without ``https://`` (IRSA).
        depends_on: Resources an association must wait for (the Pod Identity agent).
    """

    mode: WorkloadIdentity
    cluster_name: pulumi.Output[str]
    region: str
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer: pulumi.Output[str]
    depends_on: list[pulumi.Resource]


@dataclass
class WorkloadRole:
    """A workload's role and how its service account is bound to it.

    Attributes:
        role: The IAM role.
        association: The Pod Identity association (Pod Identity mode), else ``None``.
        annotation_arn: The role ARN to annotate the service account with (IRSA), else ``None``.
    """

    role: aws.iam.Role
    association: aws.eks.PodIdentityAssociation | None
    annotation_arn: pulumi.Output[str] | None

    @property
    def bindings(self) -> list[pulumi.Resource]:
        """The resources a workload using this role should wait for."""
        return [self.role] + ([self.association] if self.association is not None else [])


def pod_identity_trust() -> str:
    """The trust policy of a Pod Identity role (the EKS Pod Identity service principal)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "pods.eks.amazonaws.com"},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                }
            ],
        }
    )


def irsa_trust(provider_arn: str, issuer: str, namespace: str, service_account: str) -> str:
    """The trust policy of an IRSA role: one service account of one cluster's OIDC provider."""
    issuer = issuer.removeprefix("https://")
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                            f"{issuer}:aud": "sts.amazonaws.com",
                        }
                    },
                }
            ],
        }
    )


def workload_role(
    owner: Component[Any],
    role: str,
    cluster: ClusterIdentity,
    *,
    namespace: str,
    service_account: str,
    policy: pulumi.Input[str] | None = None,
    managed_policy_arns: tuple[str, ...] = (),
    associate: bool = True,
    opts: pulumi.ResourceOptions | None = None,
) -> WorkloadRole:
    """Create one workload's role, its policies and its service-account binding.

    Args:
        owner: The component the children belong to.
        role: The role's part of the child names (``"loki"`` -> ``{name}-loki-role``).
        cluster: The cluster the service account lives in.
        namespace: The service account's namespace.
        service_account: The service account's name.
        policy: An inline policy document (JSON), or ``None``.
        managed_policy_arns: AWS managed policies to attach.
        associate: Create the Pod Identity association (``False`` where an EKS add-on creates
            its own).
        opts: Extra options for the children.
    """
    if cluster.mode is WorkloadIdentity.POD_IDENTITY:
        trust: pulumi.Input[str] = pod_identity_trust()
    else:
        trust = pulumi.Output.all(cluster.oidc_provider_arn, cluster.oidc_issuer).apply(
            lambda pi: irsa_trust(pi[0], pi[1], namespace, service_account)
        )
    iam_role = aws.iam.Role(
        owner.child_name(f"{role}-role"),
        assume_role_policy=trust,
        description=f"{service_account} in {namespace} ({cluster.mode.value})",
        tags=owner.tags({"Name": owner.child_name(f"{role}-role")}),
        opts=owner.child_opts(opts),
    )
    if policy is not None:
        aws.iam.RolePolicy(
            owner.child_name(f"{role}-policy"),
            role=iam_role.id,
            policy=policy,
            opts=owner.child_opts(opts),
        )
    for index, arn in enumerate(managed_policy_arns):
        suffix = "" if index == 0 else f"-{index + 1}"
        aws.iam.RolePolicyAttachment(
            owner.child_name(f"{role}-managed{suffix}"),
            role=iam_role.name,
            policy_arn=arn,
            opts=owner.child_opts(opts),
        )
    if cluster.mode is WorkloadIdentity.POD_IDENTITY and not associate:
        return WorkloadRole(iam_role, None, None)
    if cluster.mode is WorkloadIdentity.POD_IDENTITY:
        association = aws.eks.PodIdentityAssociation(
            owner.child_name(f"{role}-pod-identity"),
            cluster_name=cluster.cluster_name,
            namespace=namespace,
            service_account=service_account,
            role_arn=iam_role.arn,
            region=cluster.region,
            tags=owner.tags(),
            opts=owner.child_opts(opts, depends_on=cluster.depends_on),
        )
        return WorkloadRole(iam_role, association, None)
    return WorkloadRole(iam_role, None, iam_role.arn)


def bucket_access_policy(
    bucket_arns: list[pulumi.Output[str]], key_arn: pulumi.Output[str], *, read_only: bool = False
) -> pulumi.Output[str]:
    """Least-privilege access to some buckets and their KMS key (list, read, write, delete).

    ``read_only`` keeps list and read (``s3:GetObject``, ``kms:Decrypt``): a passive standby's
    Loki and Tempo on the replica buckets, whose write grant is :func:`bucket_write_policy`.
    """
    objects = ["s3:GetObject"] if read_only else ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    key_actions = (
        ["kms:Decrypt", "kms:DescribeKey"]
        if read_only
        else ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    )

    def render(args: list[str]) -> str:
        *buckets, key = args
        return json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "ListBuckets",
                        "Effect": "Allow",
                        "Action": ["s3:ListBucket"],
                        "Resource": sorted(buckets),
                    },
                    {
                        "Sid": "ReadObjects" if read_only else "ReadWriteObjects",
                        "Effect": "Allow",
                        "Action": objects,
                        "Resource": sorted(f"{b}/*" for b in buckets),
                    },
                    {
                        "Sid": "UseBucketKey",
                        "Effect": "Allow",
                        "Action": key_actions,
                        "Resource": key,
                    },
                ],
            }
        )

    return pulumi.Output.all(*bucket_arns, key_arn).apply(render)


def bucket_write_policy(
    bucket_arns: list[pulumi.Output[str]], key_arn: pulumi.Output[str]
) -> pulumi.Output[str]:
    """What :func:`bucket_access_policy` with ``read_only`` lacks: put, delete, data keys.

    Attached to a standby's Loki and Tempo roles at deploy time; the replica buckets' policies
    deny these S3 actions to them until the standby is promoted
    (:func:`~obs_platform._internal.bucket_policy.read_only_statement`).
    """

    def render(args: list[str]) -> str:
        *buckets, key = args
        return json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "WriteObjects",
                        "Effect": "Allow",
                        "Action": list(STANDBY_WRITE_ACTIONS),
                        "Resource": sorted(f"{b}/*" for b in buckets),
                    },
                    {
                        "Sid": "EncryptWithBucketKey",
                        "Effect": "Allow",
                        "Action": ["kms:GenerateDataKey"],
                        "Resource": key,
                    },
                ],
            }
        )

    return pulumi.Output.all(*bucket_arns, key_arn).apply(render)
