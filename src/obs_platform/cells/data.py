"""A cell's data: the Aurora placement (and a standalone cell's own cluster) and Kafka."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .._component import Component
from .._internal.charts import STRIMZI_KAFKA_OPERATOR
from ..dr.args import KafkaEngine
from ..dr.aurora import create_db_placement
from ..dr.kafka import msk_cluster_settings
from .args import CellArgs, DrStrategy

__all__ = ["create_database", "create_kafka"]


def create_database(
    owner: Component[Any], args: CellArgs, vpc_id: Any, subnet_ids: Any, cidr: Any, key: aws.kms.Key
) -> tuple[aws.rds.SubnetGroup, aws.ec2.SecurityGroup, Any]:
    """Create the Aurora placement and, without ``rds_global``, the cell's own cluster.

    Returns:
        The DB subnet group, its security group and the writer endpoint (``None`` with
        ``rds_global``: the PilotLightDr owns the member cluster).
    """
    group, sg = create_db_placement(
        owner,
        "db",
        region=args.region,
        vpc_id=vpc_id,
        subnet_ids=subnet_ids,
        client_cidr=cidr,
        subnets_description=f"Aurora subnets of cell {owner._name}",
        sg_description="PostgreSQL from the cell's VPC.",
    )
    if args.rds_global:
        return group, sg, None
    cluster = aws.rds.Cluster(
        owner.child_name("db"),
        cluster_identifier=owner.child_name("db"),
        region=args.region,
        engine="aurora-postgresql",
        engine_version=args.database_engine_version,
        database_name="app",
        master_username="app_admin",
        manage_master_user_password=True,
        db_subnet_group_name=group.name,
        vpc_security_group_ids=[sg.id],
        storage_encrypted=True,
        kms_key_id=key.arn,
        deletion_protection=True,
        backup_retention_period=7,
        copy_tags_to_snapshot=True,
        final_snapshot_identifier=f"{owner.child_name('db')}-final",
        iam_database_authentication_enabled=True,
        enabled_cloudwatch_logs_exports=["postgresql"],
        tags=owner.tags({"Name": owner.child_name("db"), "cell": owner._name}),
        opts=owner.child_opts(protect=args.protect),
    )
    for index in range(args.database_instances):
        aws.rds.ClusterInstance(
            owner.child_name(f"db-{index}"),
            identifier=f"{owner.child_name('db')}-{index}",
            cluster_identifier=cluster.id,
            region=args.region,
            engine="aurora-postgresql",
            engine_version=args.database_engine_version,
            instance_class=args.database_instance_class,
            publicly_accessible=False,
            performance_insights_enabled=True,
            tags=owner.tags({"Name": owner.child_name(f"db-{index}")}),
            opts=owner.child_opts(),
        )
    return group, sg, cluster.endpoint


def create_kafka(
    owner: Component[Any],
    args: CellArgs,
    vpc_id: Any,
    subnet_ids: Any,
    cidr: Any,
    key: aws.kms.Key,
    provider: k8s.Provider,
    *,
    image_registry: Any = None,
    image_ready: list[pulumi.Resource] | None = None,
) -> tuple[Any, Any, aws.ec2.SecurityGroup | None]:
    """Create the cell's Kafka (``kafka_replication``): MSK, or Strimzi on the cell's cluster.

    Returns:
        The MSK cluster's ARN (``None`` without MSK), the bootstrap servers (``None`` without
        Kafka) and the MSK security group (``None`` without MSK).
    """
    if not args.kafka_replication:
        return None, None, None
    if args.kafka_engine is KafkaEngine.STRIMZI:
        return None, _strimzi(owner, args, provider, image_registry, image_ready or []), None
    sg = aws.ec2.SecurityGroup(
        owner.child_name("kafka-sg"),
        vpc_id=vpc_id,
        region=args.region,
        description="Kafka (IAM auth, TLS) from the cell's VPC and the MSK Replicator.",
        ingress=[
            {"protocol": "tcp", "from_port": 9098, "to_port": 9098, "cidr_blocks": [cidr]},
            {"protocol": "-1", "from_port": 0, "to_port": 0, "self": True},
        ],
        egress=[
            {"protocol": "-1", "from_port": 0, "to_port": 0, "self": True},
            {"protocol": "tcp", "from_port": 9098, "to_port": 9098, "cidr_blocks": [cidr]},
        ],
        tags=owner.tags({"Name": owner.child_name("kafka-sg")}),
        opts=owner.child_opts(),
    )
    replication_ready: dict[str, Any] = (
        {
            "connectivity_info": {
                "vpc_connectivity": {"client_authentication": {"sasl": {"iam": True}}}
            }
        }
        if args.dr_strategy is DrStrategy.PILOT_LIGHT
        else {}
    )
    cluster = aws.msk.Cluster(
        owner.child_name("kafka"),
        cluster_name=owner.child_name("kafka"),
        region=args.region,
        number_of_broker_nodes=args.az_count,
        **msk_cluster_settings(subnet_ids, sg.id, key.arn, **replication_ready),
        tags=owner.tags({"Name": owner.child_name("kafka"), "cell": owner._name}),
        opts=owner.child_opts(protect=args.protect),
    )
    if replication_ready:
        # Cross-region MSK Replicator needs multi-VPC connectivity (above) and this policy
        # on the source; a pilot-light cell can be either side, so both cells get it.
        aws.msk.ClusterPolicy(
            owner.child_name("kafka-policy"),
            cluster_arn=cluster.arn,
            region=args.region,
            policy=cluster.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "MskReplicator",
                                "Effect": "Allow",
                                "Principal": {"Service": "kafka.amazonaws.com"},
                                "Action": [
                                    "kafka:CreateVpcConnection",
                                    "kafka:GetBootstrapBrokers",
                                    "kafka:DescribeClusterV2",
                                ],
                                "Resource": arn,
                            }
                        ],
                    }
                )
            ),
            opts=owner.child_opts(),
        )
    return cluster.arn, cluster.bootstrap_brokers_sasl_iam, sg


def _strimzi(
    owner: Component[Any],
    args: CellArgs,
    provider: k8s.Provider,
    image_registry: Any,
    image_ready: list[pulumi.Resource],
) -> str:
    """Install the Strimzi operator and a 3-broker KRaft cluster; return the bootstrap servers.

    ``image_registry`` replaces the chart's ``defaultImageRegistry`` (``quay.io``) with the
    cell's image source, so operator and brokers pull without internet.
    """
    namespace = k8s.core.v1.Namespace(
        owner.child_name("kafka-namespace"),
        metadata={"name": "kafka"},
        opts=owner.child_opts(provider=provider),
    )
    operator = k8s.helm.v3.Release(
        owner.child_name("strimzi"),
        chart=STRIMZI_KAFKA_OPERATOR.chart,
        version=STRIMZI_KAFKA_OPERATOR.version,
        repository_opts={"repo": STRIMZI_KAFKA_OPERATOR.repository},
        namespace="kafka",
        values={
            "watchNamespaces": [],
            **({"defaultImageRegistry": image_registry} if image_registry is not None else {}),
        },
        opts=owner.child_opts(provider=provider, depends_on=[namespace, *image_ready]),
    )
    kafka_name = owner.child_name("kafka")
    k8s.apiextensions.CustomResource(
        owner.child_name("kafka-pool"),
        api_version="kafka.strimzi.io/v1",
        kind="KafkaNodePool",
        metadata={
            "name": "brokers",
            "namespace": "kafka",
            "labels": {"strimzi.io/cluster": kafka_name},
        },
        spec={
            "replicas": 3,
            "roles": ["controller", "broker"],
            "storage": {
                "type": "jbod",
                "volumes": [
                    {
                        "id": 0,
                        "type": "persistent-claim",
                        "size": "100Gi",
                        "deleteClaim": False,
                        "kraftMetadata": "shared",
                    }
                ],
            },
        },
        opts=owner.child_opts(provider=provider, depends_on=[operator]),
    )
    advertised: dict[str, Any] = (
        {"configuration": {"bootstrap": {"alternativeNames": [args.kafka_advertised_host]}}}
        if args.kafka_advertised_host
        else {}
    )
    k8s.apiextensions.CustomResource(
        kafka_name,
        api_version="kafka.strimzi.io/v1",
        kind="Kafka",
        metadata={"name": kafka_name, "namespace": "kafka"},
        spec={
            "kafka": {
                "listeners": [
                    {"name": "tls", "port": 9093, "type": "internal", "tls": True},
                    {
                        "name": "peer",
                        "port": 9095,
                        "type": "loadbalancer",
                        "tls": True,
                        **advertised,
                    },
                ],
                "config": {
                    "default.replication.factor": 3,
                    "min.insync.replicas": 2,
                    "offsets.topic.replication.factor": 3,
                    "transaction.state.log.replication.factor": 3,
                    "transaction.state.log.min.isr": 2,
                },
            },
            "entityOperator": {"topicOperator": {}, "userOperator": {}},
        },
        opts=owner.child_opts(provider=provider, depends_on=[operator]),
    )
    if args.kafka_advertised_host:
        return f"{args.kafka_advertised_host}:9095"
    return f"{kafka_name}-kafka-bootstrap.kafka.svc:9093"
