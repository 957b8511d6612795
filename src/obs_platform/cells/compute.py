"""A cell's compute: the EKS cluster, its node role, launch template and node group."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks

from .._component import Component
from .._internal.alert_rules import DR_ROLE_TAG
from .._internal.iam import service_trust_policy
from ..observability.cluster import admin_access_entries
from .args import CellArgs

__all__ = ["NODE_POLICIES", "create_compute", "eks_provider_opts"]


NODE_POLICIES = {
    "worker": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "cni": "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "ecr": "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
    "ssm": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
}
"""Managed policies of the node role (the AWS-documented minimum, plus SSM instead of SSH)."""


def eks_provider_opts(
    owner: Component[Any], args: CellArgs, aws_provider: pulumi.ProviderResource | None
) -> dict[str, Any]:
    """Return options for pulumi-eks: a provider for the cell's region when one is needed."""
    if aws_provider is not None:
        return {"providers": {"aws": aws_provider}}
    stack_region = pulumi.Config("aws").get("region")
    if stack_region == args.region:
        return {}
    provider = aws.Provider(owner.child_name("aws"), region=args.region, opts=owner.child_opts())
    return {"providers": {"aws": provider}}


def create_compute(
    owner: Component[Any],
    args: CellArgs,
    vpc_id: Any,
    subnet_ids: Any,
    key: aws.kms.Key,
    account: pulumi.Output[str],
    eks_opts: Mapping[str, Any],
    node_policy: pulumi.Input[str] | None = None,
) -> tuple[str, pulumi.Output[str], eks.Cluster, aws.eks.NodeGroup, list[pulumi.Resource]]:
    """Create the EKS cluster, the node role, the launch template and the node group.

    ``eks_opts`` are the resource options of :func:`eks_provider_opts`. The API endpoint is
    private, and public only to ``public_access_cidrs``. With ``kubeconfig_role_arn`` the
    cluster's kubeconfig gets its token as that role (pulumi-eks ``provider_credential_opts``:
    "required for certain auth scenarios. For example: Creating and using a new AWS provider
    instance"), so resources pulumi-eks itself creates through Kubernetes authenticate right.
    Nodes use the pulumi-eks node security group (as the shared stack's do), so rules from the
    cell's load balancer reach them; their volumes are encrypted with ``aws/ebs`` unless
    ``node_volume_kms_key_arn`` names a key (see :mod:`obs_platform._internal.kms`).

    Returns:
        The cluster's name, its ARN, the cluster, the node group and the access entries (and
        their policy associations) that Kubernetes resources must wait for.
    """
    cluster_name = owner.child_name("eks")
    credentials: dict[str, Any] = (
        {"provider_credential_opts": {"role_arn": args.kubeconfig_role_arn}}
        if args.kubeconfig_role_arn is not None
        else {}
    )
    cluster = eks.Cluster(
        cluster_name,
        name=cluster_name,
        vpc_id=vpc_id,
        private_subnet_ids=subnet_ids,
        endpoint_private_access=True,
        endpoint_public_access=bool(args.public_access_cidrs),
        public_access_cidrs=list(args.public_access_cidrs) or None,
        skip_default_node_group=True,
        authentication_mode="API",
        encryption_config_key_arn=key.arn,
        version=args.kubernetes_version,
        enabled_cluster_log_types=["api", "audit", "authenticator"],
        create_oidc_provider=True,
        deletion_protection=args.protect,
        # dr-role: the CloudWatch exporter reads a standby's control plane by this tag
        # (StandbyNotReady at zero nodes, obs_platform._internal.alert_rules).
        tags=owner.tags({"cell": owner._name, DR_ROLE_TAG: args.dr_role}),
        opts=owner.child_opts(protect=args.protect, **eks_opts),
        **credentials,
    )
    cluster_arn = pulumi.Output.concat(
        "arn:aws:eks:", args.region, ":", account, ":cluster/", cluster_name
    )
    role = aws.iam.Role(
        owner.child_name("node-role"),
        assume_role_policy=service_trust_policy("ec2.amazonaws.com"),
        tags=owner.tags({"Name": owner.child_name("node-role")}),
        opts=owner.child_opts(),
    )
    attachments: list[pulumi.Resource] = [
        aws.iam.RolePolicyAttachment(
            owner.child_name(f"node-role-{short}"),
            role=role.name,
            policy_arn=arn,
            opts=owner.child_opts(),
        )
        for short, arn in NODE_POLICIES.items()
    ]
    if node_policy is not None:
        attachments.append(
            aws.iam.RolePolicy(
                owner.child_name("node-role-pull-through"),
                role=role.id,
                policy=node_policy,
                opts=owner.child_opts(),
            )
        )
    volume_key: dict[str, Any] = (
        {"kms_key_id": args.node_volume_kms_key_arn}
        if args.node_volume_kms_key_arn is not None
        else {}
    )
    # A standby's instances carry dr-role too: the exporter counts them against the nodes that
    # report (StandbyNotReady, "nodes"). Only on standbys, so that a primary's launch template,
    # and with it its nodes, do not roll for the tag.
    instance_tags = {"cell": owner._name}
    if args.dr_role == "standby":
        instance_tags[DR_ROLE_TAG] = "standby"
    template = aws.ec2.LaunchTemplate(
        owner.child_name("node-template"),
        region=args.region,
        description="Cell nodes: IMDSv2 only, encrypted gp3 root volume.",
        vpc_security_group_ids=[cluster.node_security_group_id],
        metadata_options={
            "http_endpoint": "enabled",
            "http_tokens": "required",
            "http_put_response_hop_limit": 1,
            "instance_metadata_tags": "disabled",
        },
        block_device_mappings=[
            {
                "device_name": "/dev/xvda",
                "ebs": {
                    "volume_size": 50,
                    "volume_type": "gp3",
                    "encrypted": "true",
                    "delete_on_termination": "true",
                    # Without a key: the AWS-managed aws/ebs, which Auto Scaling may always use.
                    **volume_key,
                },
            }
        ],
        tag_specifications=[{"resource_type": "instance", "tags": owner.tags(instance_tags)}],
        tags=owner.tags({"Name": owner.child_name("node-template")}),
        opts=owner.child_opts(),
    )
    nodes = aws.eks.NodeGroup(
        owner.child_name("nodes"),
        cluster_name=cluster_name,
        node_group_name=owner.child_name("nodes"),
        node_role_arn=role.arn,
        subnet_ids=subnet_ids,
        region=args.region,
        ami_type="AL2023_x86_64_STANDARD",
        capacity_type="ON_DEMAND",
        instance_types=list(args.instance_types),
        scaling_config={
            "desired_size": args.replicas,
            "min_size": 0,
            "max_size": args.max_replicas,
        },
        update_config={"max_unavailable": 1},
        launch_template={"id": template.id, "version": template.latest_version.apply(str)},
        labels={"obs-platform/cell": owner._name, "topology.kubernetes.io/region": args.region},
        tags=owner.tags(
            {
                "Name": owner.child_name("nodes"),
                "cell": owner._name,
                "k8s.io/cluster-autoscaler/enabled": "true",
                f"k8s.io/cluster-autoscaler/{cluster_name}": "owned",
                "k8s.io/cluster-autoscaler/node-template/label/obs-platform/cell": owner._name,
            }
        ),
        opts=owner.child_opts(
            depends_on=[cluster, *attachments], ignore_changes=["scalingConfig.desiredSize"]
        ),
    )
    access = admin_access_entries(
        owner,
        cluster_name,
        args.admin_principal_arns,
        region=args.region,
        tags=owner.tags({"cell": owner._name}),
        depends_on=[cluster],
    )
    return cluster_name, cluster_arn, cluster, nodes, access
