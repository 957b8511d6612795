"""The shared-monitoring EKS cluster: control plane, node groups, add-ons, Kubernetes providers.

* The control plane (pulumi-eks ``eks.Cluster``) runs in private subnets with a private API
  endpoint (public only to listed CIDRs), authentication through access entries only (``API``),
  secrets envelope-encrypted with a customer-managed KMS key, and no default node group.
* Managed node groups (``aws.eks.NodeGroup``) use a launch template that requires IMDSv2 with a
  hop limit of 2 (pods behind the node's network namespace still reach IMDS, no IMDSv1) and an
  encrypted gp3 root volume.
* The EBS CSI driver add-on gets its own IAM role; ``gp3`` becomes the default StorageClass, or
  every Prometheus/Loki/Tempo/Alertmanager volume stays Pending.
* The Kubernetes providers are built from the cluster's kubeconfig pinned to the region (and
  role); every Kubernetes resource depends on the node groups and access entries
  (:attr:`ClusterParts.k8s_ready`), so ``pulumi destroy`` removes releases before nodes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s

from .._internal.eks import ami_type_for
from .._internal.iam import service_trust_policy
from .._internal.kubeconfig import pin_kubeconfig
from .identity import ClusterIdentity, WorkloadIdentity, workload_role
from .storage import kms_key

if TYPE_CHECKING:
    from .._component import Component
    from .args import ObservabilityStackArgs

CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
"""The EKS access policy granted to ``admin_principal_arns``."""

NODE_POLICIES: tuple[str, ...] = (
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
)
"""Managed policies of the node role: join the cluster, run the VPC CNI, pull from ECR (incl.
pull-through caches), and Session Manager instead of SSH."""

EBS_CSI_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
"""The EBS CSI driver's managed policy."""

EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa"
"""The service account of the EBS CSI controller (kube-system)."""

CLUSTER_LOG_TYPES: tuple[str, ...] = ("api", "audit", "authenticator")
"""Control-plane logs sent to CloudWatch."""

GP3_STORAGE_CLASS = "gp3"
"""Name of the default StorageClass."""


@dataclass
class ClusterParts:
    """What :func:`create_cluster` made, for the releases and outputs.

    Attributes:
        cluster: The pulumi-eks cluster.
        cluster_name: The cluster's name (an Output depending on the cluster).
        identity: What workload roles need to bind to the cluster.
        provider: The Kubernetes provider for releases (server-side apply).
        crd_provider: The Kubernetes provider for CRDs (server-side apply with force).
        kubeconfig: The pinned kubeconfig (secret).
        node_groups: The managed node groups, by name in ``node_groups``.
        k8s_ready: What every Kubernetes resource depends on (node groups, access entries,
            add-ons).
        node_security_group_id: The nodes' security group.
    """

    cluster: eks.Cluster
    cluster_name: pulumi.Output[str]
    identity: ClusterIdentity
    provider: k8s.Provider
    crd_provider: k8s.Provider
    kubeconfig: pulumi.Output[str]
    node_groups: dict[str, aws.eks.NodeGroup]
    node_security_group_id: pulumi.Output[str]
    k8s_ready: list[pulumi.Resource] = field(default_factory=list)


def _aws_provider_for(owner: Component[Any], region: str) -> pulumi.ProviderResource | None:
    """Return a regional AWS provider for pulumi-eks unless the caller passed one.

    pulumi-eks resources take no ``region`` argument; they follow their provider. A caller's
    AWS provider (which carries the account) is kept, and must be in ``region``.
    """
    inherited = getattr(owner, "_providers", {}) or {}
    if "aws" in inherited:
        return None
    provider: pulumi.ProviderResource = aws.Provider(
        owner.child_name("aws"), region=region, opts=owner.child_opts()
    )
    return provider


def admin_access_entries(
    owner: Component[Any],
    cluster_name: pulumi.Input[str],
    principals: Sequence[pulumi.Input[str]],
    *,
    region: str,
    tags: Mapping[str, str],
    depends_on: list[pulumi.Resource] | None = None,
) -> list[pulumi.Resource]:
    """Give each principal cluster admin: ``{n}-admin-{i}`` and ``{n}-admin-{i}-policy``.

    An access entry (``STANDARD``) and its association with :data:`CLUSTER_ADMIN_POLICY` at
    cluster scope, for clusters in ``API`` authentication mode.

    Returns:
        The entries and associations, in order (what Kubernetes resources wait for).
    """
    access: list[pulumi.Resource] = []
    for index, principal in enumerate(principals):
        entry = aws.eks.AccessEntry(
            owner.child_name(f"admin-{index}"),
            cluster_name=cluster_name,
            principal_arn=principal,
            type="STANDARD",
            region=region,
            tags=dict(tags),
            opts=owner.child_opts(depends_on=depends_on or []),
        )
        association = aws.eks.AccessPolicyAssociation(
            owner.child_name(f"admin-{index}-policy"),
            cluster_name=cluster_name,
            principal_arn=principal,
            policy_arn=CLUSTER_ADMIN_POLICY,
            access_scope={"type": "cluster"},
            region=region,
            opts=owner.child_opts(depends_on=[entry]),
        )
        access += [entry, association]
    return access


def create_cluster(
    owner: Component[Any],
    args: ObservabilityStackArgs,
    *,
    vpc_id: pulumi.Input[str],
    subnet_ids: pulumi.Input[list[str]] | list[pulumi.Input[str]],
    depends_on: list[pulumi.Resource] | None = None,
    node_policy: pulumi.Input[str] | None = None,
) -> ClusterParts:
    """Create the cluster, its node groups, add-ons, access entries and Kubernetes providers.

    Args:
        owner: The component the children belong to.
        args: The stack's arguments.
        vpc_id: The VPC.
        subnet_ids: Private subnets (two or more zones).
        depends_on: What the control plane must wait for (a VPC's Transit Gateway routes).
        node_policy: An extra inline policy for the node role (filling pull-through caches).
    """
    region = args.region
    secrets_key = kms_key(
        owner,
        "eks",
        region=region,
        protect=args.protect,
        description=f"EKS secrets envelope encryption of {owner.child_name('eks')}",
    )
    cluster_role_name = owner.child_name("eks")
    aws_provider = _aws_provider_for(owner, region)
    cluster_opts = owner.child_opts(
        depends_on=depends_on or [],
        providers={"aws": aws_provider} if aws_provider is not None else None,
    )
    cluster = eks.Cluster(
        cluster_role_name,
        name=cluster_role_name,
        version=args.kubernetes_version,
        vpc_id=vpc_id,
        private_subnet_ids=subnet_ids,
        endpoint_private_access=True,
        endpoint_public_access=bool(args.public_access_cidrs),
        public_access_cidrs=list(args.public_access_cidrs) or None,
        authentication_mode=eks.AuthenticationMode.API,
        encryption_config_key_arn=secrets_key.arn,
        skip_default_node_group=True,
        create_oidc_provider=args.workload_identity is WorkloadIdentity.IRSA,
        enabled_cluster_log_types=list(CLUSTER_LOG_TYPES),
        tags=owner.tags({"Name": cluster_role_name}),
        opts=cluster_opts,
    )
    # The name is fixed, but reading it through an output makes everything using it wait for
    # the control plane. The kubeconfig is a secret output; the name derived from it is not.
    cluster_name: pulumi.Output[str] = pulumi.Output.unsecret(
        cluster.kubeconfig_json.apply(lambda _: cluster_role_name)
    )

    node_role = aws.iam.Role(
        owner.child_name("node-role"),
        assume_role_policy=service_trust_policy("ec2.amazonaws.com"),
        tags=owner.tags({"Name": owner.child_name("node-role")}),
        opts=owner.child_opts(),
    )
    attachments: list[pulumi.Resource] = [
        aws.iam.RolePolicyAttachment(
            owner.child_name(f"node-role-{arn.rsplit('/', 1)[1]}"),
            role=node_role.name,
            policy_arn=arn,
            opts=owner.child_opts(),
        )
        for arn in NODE_POLICIES
    ]
    if node_policy is not None:
        attachments.append(
            aws.iam.RolePolicy(
                owner.child_name("node-role-pull-through"),
                role=node_role.id,
                policy=node_policy,
                opts=owner.child_opts(),
            )
        )

    access = admin_access_entries(
        owner, cluster_name, args.admin_principal_arns, region=region, tags=owner.tags()
    )

    node_groups: dict[str, aws.eks.NodeGroup] = {}
    for group_name, group in args.node_groups.items():
        template = aws.ec2.LaunchTemplate(
            owner.child_name(f"{group_name}-lt"),
            description=f"Nodes of {owner.child_name(group_name)}: IMDSv2 only, encrypted gp3",
            metadata_options={
                "http_endpoint": "enabled",
                "http_tokens": "required",
                "http_put_response_hop_limit": 2,
                "instance_metadata_tags": "disabled",
            },
            block_device_mappings=[
                {
                    "device_name": "/dev/xvda",
                    "ebs": {
                        "volume_size": group.disk_size_gib,
                        "volume_type": "gp3",
                        "encrypted": "true",
                        "delete_on_termination": "true",
                    },
                }
            ],
            vpc_security_group_ids=[cluster.node_security_group_id],
            tag_specifications=[
                {
                    "resource_type": "instance",
                    "tags": owner.tags({"Name": owner.child_name(group_name)}),
                }
            ],
            update_default_version=True,
            region=region,
            tags=owner.tags({"Name": owner.child_name(f"{group_name}-lt")}),
            opts=owner.child_opts(),
        )
        node_groups[group_name] = aws.eks.NodeGroup(
            owner.child_name(group_name),
            cluster_name=cluster_name,
            node_group_name=owner.child_name(group_name),
            node_role_arn=node_role.arn,
            subnet_ids=subnet_ids,
            instance_types=list(group.instance_types),
            ami_type=ami_type_for(group.instance_types),
            capacity_type=group.capacity_type.value,
            scaling_config={
                "min_size": group.min_size,
                "desired_size": group.desired_size,
                "max_size": group.max_size,
            },
            update_config={"max_unavailable": 1},
            launch_template={"id": template.id, "version": template.latest_version.apply(str)},
            labels=dict(group.labels) or None,
            region=region,
            tags=owner.tags({"Name": owner.child_name(group_name)}),
            # The cluster autoscaler owns the desired size after creation.
            opts=owner.child_opts(
                depends_on=[*attachments], ignore_changes=["scalingConfig.desiredSize"]
            ),
        )

    addons: list[pulumi.Resource] = []
    identity_depends: list[pulumi.Resource] = []
    if args.workload_identity is WorkloadIdentity.POD_IDENTITY:
        agent = aws.eks.Addon(
            owner.child_name("pod-identity-agent"),
            cluster_name=cluster_name,
            addon_name="eks-pod-identity-agent",
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            region=region,
            tags=owner.tags(),
            opts=owner.child_opts(depends_on=list(node_groups.values())),
        )
        addons.append(agent)
        identity_depends.append(agent)
    identity = ClusterIdentity(
        mode=args.workload_identity,
        cluster_name=cluster_name,
        region=region,
        oidc_provider_arn=cluster.oidc_provider_arn,
        oidc_issuer=cluster.oidc_issuer,
        depends_on=identity_depends,
    )
    ebs_role = workload_role(
        owner,
        "ebs-csi",
        identity,
        namespace="kube-system",
        service_account=EBS_CSI_SERVICE_ACCOUNT,
        managed_policy_arns=(EBS_CSI_POLICY,),
        associate=False,
    )
    # The add-on binds its own service account (an association it manages, or the IRSA role).
    addon_identity: dict[str, Any] = (
        {"service_account_role_arn": ebs_role.role.arn}
        if args.workload_identity is WorkloadIdentity.IRSA
        else {
            "pod_identity_associations": [
                {"role_arn": ebs_role.role.arn, "service_account": EBS_CSI_SERVICE_ACCOUNT}
            ]
        }
    )
    ebs_csi = aws.eks.Addon(
        owner.child_name("ebs-csi"),
        cluster_name=cluster_name,
        addon_name="aws-ebs-csi-driver",
        resolve_conflicts_on_create="OVERWRITE",
        resolve_conflicts_on_update="OVERWRITE",
        region=region,
        tags=owner.tags(),
        opts=owner.child_opts(depends_on=[*node_groups.values(), *identity_depends, ebs_role.role]),
        **addon_identity,
    )
    addons.append(ebs_csi)

    kubeconfig = pulumi.Output.all(cluster.kubeconfig, args.kubeconfig_role_arn).apply(
        lambda kr: pin_kubeconfig(kr[0], region=region, role_arn=kr[1])
    )
    secret_kubeconfig: pulumi.Output[str] = pulumi.Output.secret(kubeconfig)
    provider = k8s.Provider(
        owner.child_name("k8s"),
        kubeconfig=secret_kubeconfig,
        enable_server_side_apply=True,
        opts=owner.child_opts(),
    )
    # CRDs are applied server-side with force: a field manager left by an earlier Helm install
    # of the same CRDs must not block the upgrade to the pinned version.
    crd_provider = k8s.Provider(
        owner.child_name("k8s-crds"),
        kubeconfig=secret_kubeconfig,
        enable_server_side_apply=True,
        enable_patch_force=True,
        opts=owner.child_opts(),
    )

    parts = ClusterParts(
        cluster=cluster,
        cluster_name=cluster_name,
        identity=identity,
        provider=provider,
        crd_provider=crd_provider,
        kubeconfig=secret_kubeconfig,
        node_groups=node_groups,
        node_security_group_id=cluster.node_security_group_id,
        k8s_ready=[*node_groups.values(), *access, *addons],
    )
    storage_class = k8s.storage.v1.StorageClass(
        owner.child_name("gp3"),
        metadata={
            "name": GP3_STORAGE_CLASS,
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
        },
        provisioner="ebs.csi.aws.com",
        parameters={"type": "gp3", "encrypted": "true", "fsType": "ext4"},
        volume_binding_mode="WaitForFirstConsumer",
        allow_volume_expansion=True,
        reclaim_policy="Delete",
        opts=owner.child_opts(provider=provider, depends_on=parts.k8s_ready),
    )
    parts.k8s_ready.append(storage_class)
    return parts
