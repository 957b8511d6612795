"""Kafka replication from the primary site to the standby site.

One setting (``KafkaReplicationArgs.engine``) chooses:

* ``msk``: an Amazon MSK Replicator ``{n}-kafka-replicator`` (``aws:msk/replicator:Replicator``)
  in the standby region (a replicator runs in its target's region), with topic names kept
  IDENTICAL and consumer-group offsets synchronised, and its service role
  ``{n}-kafka-replicator-role`` (``aws:iam/role:Role``, trusted by ``kafka.amazonaws.com`` for
  this account only, ``aws:SourceAccount``) with the actions of the managed
  ``AWSMSKReplicatorExecutionRole`` scoped to the two clusters, their topics and groups. Both
  clusters are in one account: MSK Replicator supports nothing else (the DR refuses it across
  accounts, see :mod:`.checks`). For a standby in another account,
  ``KafkaReplicationArgs.standby_in_primary_account`` creates the standby's cluster
  ``{n}-standby-kafka`` (``aws:msk/cluster:Cluster``, IAM auth, TLS, its own key
  ``{n}-standby-kafka-key`` and security group ``{n}-standby-kafka-sg``) in the primary account,
  in the standby region, on the standby's subnets shared through RAM; the replicator and its
  role are then in the primary account too.
* ``strimzi``: a Strimzi ``KafkaMirrorMaker2`` ``{n}-mirror-maker-2``
  (``kubernetes:kafka.strimzi.io/v1:KafkaMirrorMaker2``) on the standby cell's cluster, built by
  :func:`obs_platform._internal.kafka_replication.mirror_maker2` (identity replication policy on
  the source and checkpoint connectors, offset intervals derived from the RPO target), and
  the ConfigMap ``{n}-mirror-maker-2-metrics`` (``kubernetes:core/v1:ConfigMap``, same
  namespace) with the JMX exporter rules its ``metricsConfig`` reads, so that the connector
  metrics the DR rules use (``kafka_connect_mirror_mirrorsourceconnector_*``) are exported on
  the pods' ``tcp-prometheus`` port, where the standby cell's collector scrapes them. The source
  address must be reachable from the standby's cluster: an in-cluster Service name of the
  primary's cluster is refused (:mod:`.pilot_light`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .._internal.kafka_replication import (
    MM2_METRICS_CONFIG_KEY,
    MSK_BROKER_STORAGE_GB,
    MSK_BROKER_TYPE,
    mirror_maker2,
    mirror_maker2_metrics_config,
    msk_replication_info,
    offset_sync_interval_seconds,
)
from .aurora import create_region_key

if TYPE_CHECKING:
    from .args import KafkaReplicationArgs, PilotLightDrArgs
    from .pilot_light import PilotLightDr


def _related_arns(cluster_arn: str) -> list[str]:
    """Return a cluster's ARN and the wildcard ARNs of its topics and groups."""
    base = cluster_arn.replace(":cluster/", ":{kind}/", 1)
    return [cluster_arn, base.format(kind="topic") + "/*", base.format(kind="group") + "/*"]


REPLICATOR_ACTIONS = (
    "kafka-cluster:Connect",
    "kafka-cluster:DescribeCluster",
    "kafka-cluster:AlterCluster",
    "kafka-cluster:DescribeTopic",
    "kafka-cluster:CreateTopic",
    "kafka-cluster:AlterTopic",
    "kafka-cluster:WriteData",
    "kafka-cluster:ReadData",
    "kafka-cluster:AlterGroup",
    "kafka-cluster:DescribeGroup",
    "kafka-cluster:DescribeTopicDynamicConfiguration",
    "kafka-cluster:AlterTopicDynamicConfiguration",
    "kafka-cluster:WriteDataIdempotently",
)
"""The actions of the AWS managed policy ``AWSMSKReplicatorExecutionRole`` (v2), which grants
them on every cluster, topic and group; here they are granted on the two clusters only. The MSK
developer guide (*Service execution role*) adds: "You need to add
kafka-cluster:WriteDataIdempotently permission to both the source and target cluster"."""


def _replicator_policy(source_arn: str, target_arn: str) -> str:
    """Return the managed policy's statements scoped to the two clusters, topics and groups."""
    arns = [_related_arns(arn) for arn in (source_arn, target_arn)]
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": sid,
                    "Effect": "Allow",
                    "Action": list(REPLICATOR_ACTIONS),
                    "Resource": [related[index] for related in arns],
                }
                for index, sid in enumerate(
                    ("ClusterPermissions", "TopicPermissions", "GroupPermissions")
                )
            ],
        },
        indent=2,
    )


def _replicator_trust(account_id: str) -> str:
    """Return the trust policy of the replicator's role, confined to the account's replicators.

    The MSK developer guide's example trust policy for the service execution role carries an
    ``aws:SourceAccount`` condition (confused-deputy prevention).
    """
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "kafka.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                }
            ],
        }
    )


MSK_PORT_IAM = 9098
"""The brokers' SASL/IAM TLS port (Amazon MSK developer guide, port information)."""


def msk_cluster_settings(
    subnet_ids: Any, security_group_id: Any, key_arn: Any, **broker: Any
) -> dict[str, Any]:
    """Return the ``aws.msk.Cluster`` settings every cell's and the DR's MSK cluster share.

    Kafka 3.8, ``kafka.m7g.large`` brokers with 100 GiB, at-rest encryption with the given key,
    TLS everywhere and IAM authentication only. ``broker`` adds broker settings (such as the
    multi-VPC connectivity a cross-region replicator's source needs).
    """
    return {
        "kafka_version": "3.8.x",
        "broker_node_group_info": {
            "instance_type": MSK_BROKER_TYPE,
            "client_subnets": subnet_ids,
            "security_groups": [security_group_id],
            "storage_info": {"ebs_storage_info": {"volume_size": MSK_BROKER_STORAGE_GB}},
            **broker,
        },
        "encryption_info": {
            "encryption_at_rest_kms_key_arn": key_arn,
            "encryption_in_transit": {"client_broker": "TLS", "in_cluster": True},
        },
        "client_authentication": {"sasl": {"iam": True}, "unauthenticated": False},
        "enhanced_monitoring": "PER_TOPIC_PER_BROKER",
    }


def _standby_cluster(owner: PilotLightDr, args: PilotLightDrArgs) -> tuple[Any, Any, Any]:
    """Create the standby's MSK cluster in the primary account, on the standby's shared subnets.

    Returns:
        The cluster's ARN, its SASL/IAM bootstrap servers and the security group ID.
    """
    kafka: KafkaReplicationArgs = args.kafka  # type: ignore[assignment]
    primary, standby = args.primary, args.standby
    opts = primary.opts()
    key = create_region_key(
        owner,
        "standby-kafka-key",
        standby.region,
        f"MSK cluster of {standby.name}, in the primary account.",
        opts={**opts, "protect": kafka.protect},
    )
    sg = aws.ec2.SecurityGroup(
        owner.child_name("standby-kafka-sg"),
        region=standby.region,
        vpc_id=standby.vpc_id,
        description=f"Kafka (IAM auth, TLS) from {standby.name}'s VPC and the MSK Replicator.",
        ingress=[
            {
                "protocol": "tcp",
                "from_port": MSK_PORT_IAM,
                "to_port": MSK_PORT_IAM,
                "cidr_blocks": [standby.vpc_cidr],
            },
            {"protocol": "-1", "from_port": 0, "to_port": 0, "self": True},
        ],
        egress=[
            {"protocol": "-1", "from_port": 0, "to_port": 0, "self": True},
            {
                "protocol": "tcp",
                "from_port": MSK_PORT_IAM,
                "to_port": MSK_PORT_IAM,
                "cidr_blocks": [standby.vpc_cidr],
            },
        ],
        tags=owner.tags({"Name": owner.child_name("standby-kafka-sg")}),
        # The primary account sees the standby's VPC and subnets only once the RAM share is
        # associated (see dr/aurora.py's standby placement).
        opts=owner.child_opts(**opts, depends_on=list(standby.shared_subnets_ready)),
    )
    cluster = aws.msk.Cluster(
        owner.child_name("standby-kafka"),
        cluster_name=owner.child_name("standby-kafka"),
        region=standby.region,
        number_of_broker_nodes=kafka.standby_broker_nodes,
        **msk_cluster_settings(standby.db_subnet_ids, sg.id, key.arn),
        tags=owner.tags({"Name": owner.child_name("standby-kafka"), "cell": standby.name}),
        opts=owner.child_opts(
            **opts, protect=kafka.protect, depends_on=list(standby.shared_subnets_ready)
        ),
    )
    return cluster.arn, cluster.bootstrap_brokers_sasl_iam, sg.id


def create_msk_replicator(
    owner: PilotLightDr, args: PilotLightDrArgs
) -> tuple[aws.msk.Replicator, Any]:
    """Create the MSK Replicator (and its role) in the standby region.

    With ``kafka.standby_in_primary_account`` the target cluster is created here, in the primary
    account, and so are the replicator and its role (one account for both clusters).

    Returns:
        The replicator and the bootstrap servers of a cluster created here (else ``None``).
    """
    kafka: KafkaReplicationArgs = args.kafka  # type: ignore[assignment]
    primary, standby = args.primary, args.standby
    servers: Any = None
    target_arn: Any = standby.kafka_cluster_arn
    target_subnets: Any = standby.kafka_subnet_ids
    target_sgs: Any = standby.kafka_security_group_ids
    account = standby
    if kafka.standby_in_primary_account:
        target_arn, servers, sg_id = _standby_cluster(owner, args)
        target_subnets, target_sgs = standby.db_subnet_ids, [sg_id]
        account = primary
    role = aws.iam.Role(
        owner.child_name("kafka-replicator-role"),
        assume_role_policy=aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(parent=owner, provider=account.provider)
        ).account_id.apply(_replicator_trust),
        description="MSK Replicator service role: read the primary cluster, write the standby.",
        tags=owner.tags({"Name": owner.child_name("kafka-replicator-role")}),
        opts=owner.child_opts(**account.opts()),
    )
    policy = aws.iam.RolePolicy(
        owner.child_name("kafka-replicator-policy"),
        role=role.id,
        policy=pulumi.Output.all(primary.kafka_cluster_arn, target_arn).apply(
            lambda arns: _replicator_policy(arns[0], arns[1])
        ),
        opts=owner.child_opts(**account.opts()),
    )
    info: dict[str, Any] = msk_replication_info(
        topics=list(kafka.topics),
        consumer_groups=list(kafka.consumer_groups),
        topics_exclude=list(kafka.topics_exclude) or None,
    )
    replicator = aws.msk.Replicator(
        owner.child_name("kafka-replicator"),
        replicator_name=owner.child_name("kafka"),
        region=standby.region,
        description=f"Replicates {primary.name} Kafka into {standby.name}, names identical.",
        service_execution_role_arn=role.arn,
        # A replicator across regions reaches the source through multi-VPC private
        # connectivity: "You do not need to provide security groups for the source cluster"
        # (MSK developer guide, cross-Region replication). The target's are needed.
        kafka_clusters=[
            {
                "amazon_msk_cluster": {"msk_cluster_arn": primary.kafka_cluster_arn},
                "vpc_config": {"subnet_ids": primary.kafka_subnet_ids},
            },
            {
                "amazon_msk_cluster": {"msk_cluster_arn": target_arn},
                "vpc_config": {"subnet_ids": target_subnets, "security_groups_ids": target_sgs},
            },
        ],
        replication_info_list={
            "source_kafka_cluster_arn": primary.kafka_cluster_arn,
            "target_kafka_cluster_arn": target_arn,
            **info,
        },
        tags=owner.tags({"Name": owner.child_name("kafka-replicator")}),
        opts=owner.child_opts(**account.opts(), depends_on=[policy]),
    )
    return replicator, servers


def create_mirror_maker2(
    owner: PilotLightDr, args: PilotLightDrArgs, mirror_maker_lag_seconds: float
) -> k8s.apiextensions.CustomResource:
    """Create the Strimzi ``KafkaMirrorMaker2`` on the standby cluster."""
    kafka: KafkaReplicationArgs = args.kafka  # type: ignore[assignment]
    primary, standby = args.primary, args.standby
    interval = offset_sync_interval_seconds(args.rpo_target_seconds, mirror_maker_lag_seconds)
    name = owner.child_name("mirror-maker-2")
    metrics = k8s.core.v1.ConfigMap(
        f"{name}-metrics",
        metadata={
            "name": f"{name}-metrics",
            "namespace": kafka.namespace,
            "labels": {"app.kubernetes.io/managed-by": "obs-platform"},
        },
        data={MM2_METRICS_CONFIG_KEY: mirror_maker2_metrics_config()},
        opts=owner.child_opts(provider=standby.kubernetes_provider),
    )

    def build(servers: list[str]) -> dict[str, Any]:
        return mirror_maker2(
            name=name,
            namespace=kafka.namespace,
            source_alias=primary.name,
            source_bootstrap_servers=servers[0],
            target_alias=standby.name,
            target_bootstrap_servers=servers[1],
            checkpoint_interval_seconds=interval,
            sync_group_offsets_interval_seconds=interval,
            topics_pattern="|".join(kafka.topics),
            groups_pattern="|".join(kafka.consumer_groups),
            replicas=kafka.mirror_maker_replicas,
            trusted_ca_secret=kafka.trusted_ca_secret,
            metrics_config_map=f"{name}-metrics",
        )

    resource = pulumi.Output.all(
        primary.kafka_bootstrap_servers, standby.kafka_bootstrap_servers
    ).apply(build)
    static = build(["source:9093", "target:9093"])
    return k8s.apiextensions.CustomResource(
        name,
        api_version=static["apiVersion"],
        kind=static["kind"],
        metadata=static["metadata"],
        spec=resource.apply(lambda r: r["spec"]),
        opts=owner.child_opts(provider=standby.kubernetes_provider, depends_on=[metrics]),
    )
