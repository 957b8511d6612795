"""Kafka replication from the primary site to the standby site.

One setting (``KafkaReplicationArgs.engine``) chooses:

* ``msk``: an Amazon MSK Replicator ``{n}-kafka-replicator`` (``aws:msk/replicator:Replicator``)
  in the standby region (a replicator runs in its target's region), with topic names kept
  IDENTICAL and consumer-group offsets synchronised, and its service role
  ``{n}-kafka-replicator-role`` (``aws:iam/role:Role``, trusted by ``kafka.amazonaws.com`` for
  this account only, ``aws:SourceAccount``) with the actions of the managed
  ``AWSMSKReplicatorExecutionRole`` scoped to the two clusters, their topics and groups. Both
  clusters are in one account: MSK Replicator supports nothing else (the DR refuses it across
  accounts, see :mod:`.checks`).
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
    mirror_maker2,
    mirror_maker2_metrics_config,
    msk_replication_info,
    offset_sync_interval_seconds,
)

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


def create_msk_replicator(owner: PilotLightDr, args: PilotLightDrArgs) -> aws.msk.Replicator:
    """Create the MSK Replicator (and its role) in the standby region."""
    kafka: KafkaReplicationArgs = args.kafka  # type: ignore[assignment]
    primary, standby = args.primary, args.standby
    role = aws.iam.Role(
        owner.child_name("kafka-replicator-role"),
        assume_role_policy=aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(parent=owner, provider=standby.provider)
        ).account_id.apply(_replicator_trust),
        description="MSK Replicator service role: read the primary cluster, write the standby.",
        tags=owner.tags({"Name": owner.child_name("kafka-replicator-role")}),
        opts=owner.child_opts(**standby.opts()),
    )
    policy = aws.iam.RolePolicy(
        owner.child_name("kafka-replicator-policy"),
        role=role.id,
        policy=pulumi.Output.all(primary.kafka_cluster_arn, standby.kafka_cluster_arn).apply(
            lambda arns: _replicator_policy(arns[0], arns[1])
        ),
        opts=owner.child_opts(**standby.opts()),
    )
    info: dict[str, Any] = msk_replication_info(
        topics=list(kafka.topics),
        consumer_groups=list(kafka.consumer_groups),
        topics_exclude=list(kafka.topics_exclude) or None,
    )
    return aws.msk.Replicator(
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
                "amazon_msk_cluster": {"msk_cluster_arn": standby.kafka_cluster_arn},
                "vpc_config": {
                    "subnet_ids": standby.kafka_subnet_ids,
                    "security_groups_ids": standby.kafka_security_group_ids,
                },
            },
        ],
        replication_info_list={
            "source_kafka_cluster_arn": primary.kafka_cluster_arn,
            "target_kafka_cluster_arn": standby.kafka_cluster_arn,
            **info,
        },
        tags=owner.tags({"Name": owner.child_name("kafka-replicator")}),
        opts=owner.child_opts(**standby.opts(), depends_on=[policy]),
    )


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
