"""Two application cells and the pilot-light DR between them.

1. The primary ``Cell`` in the stack's region and account: serves traffic.
2. The standby ``Cell`` in another region and account (``replicas=0``): its EKS cluster and
   database placement exist, its nodes do not.
3. ``PilotLightDr``: Route 53 health check and failover records, the Aurora Global Database,
   and the ARC Region switch plan that fails over when the primary's /healthz fails. Its
   RTO/RPO budget is checked before anything is created and exported.

Kafka: MSK Replicator joins clusters of one account only, so the standby's MSK cluster is
created by the DR in the primary account, in the standby region, on the standby cell's subnets
shared through RAM (``KafkaReplicationArgs(standby_in_primary_account=True)``), as the Aurora
member is; the standby cell runs no MSK of its own (docs/concepts/dr-model.md, "Kafka across
accounts").
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from obs_platform import (
    AuroraGlobalArgs,
    Cell,
    CellArgs,
    KafkaReplicationArgs,
    PilotLightDr,
    PilotLightDrArgs,
    TelemetryArgs,
    TransitGatewayHandle,
)

config = pulumi.Config()
primary_region = pulumi.Config("aws").require("region")
standby_region = config.get("standbyRegion") or "us-east-1"
record_name = config.get("recordName") or "app.example.com"
# Stateful resources (EKS clusters, Aurora, KMS keys) carry Pulumi `protect` and AWS deletion
# protection unless the stack sets `app-cells:protect false`: the first step of destroying it
# (README, "Destroy").
protect = config.get_bool("protect")
protect = True if protect is None else protect

# --- 0. What the shared account exports ------------------------------------------------------
# examples/shared-account is its own stack; the cells read its outputs through a stack reference
# (`pulumi stack output` of that stack). Offline, plan the shared account first and pass its
# plan JSON: obs-platform plan examples/app-cells --stack-outputs shared.json (README).
shared = pulumi.StackReference(config.get("sharedStack") or "organization/shared-account/dev")


def shared_pool(region: str) -> pulumi.Output[str]:
    """The shared account's IPAM pool for a region (its `regional_pool_ids` output)."""

    def pick(pool_ids: dict[str, str] | None) -> str:
        if not pool_ids or region not in pool_ids:
            raise ValueError(
                f"the shared stack exports no IPAM pool for {region} (regional_pool_ids has "
                f"{sorted(pool_ids or {})}); add {region} to shared-account:regions and update "
                "that stack, or set this stack's primaryIpamPoolId/standbyIpamPoolId"
            )
        return pool_ids[region]

    return shared.get_output("regional_pool_ids").apply(pick)


def shared_gateway(region: str) -> TransitGatewayHandle:
    """The shared account's Transit Gateway in a region, by ID (its transit outputs)."""
    return TransitGatewayHandle.from_outputs(
        region,
        transit_gateway_ids=shared.get_output("transit_gateway_ids"),
        route_table_ids=shared.get_output("transit_route_table_ids"),
        # The VPCs the shared stack attached (its own): a cell with a fixed vpc_cidr that
        # overlaps one is refused before it creates anything.
        attached_vpc_cidrs=shared.get_output("transit_attached_cidrs"),
    )


# The cells attach to the shared Transit Gateway (shared with their accounts through RAM) from
# their own accounts; placing each attachment in the "cells" segment is done in the network
# account, through this provider (a role there that may manage the gateway's route tables).
network_provider = aws.Provider(
    "network-account",
    region=primary_region,
    assume_roles=[{"role_arn": config.require("networkRoleArn"), "session_name": "app-cells"}],
)
# What the cells reach over the gateway: the IPAM's top-level range (shared services, peers).
network_cidr = config.get("networkCidr") or "10.0.0.0/8"
# The EKS API endpoints are private: run `pulumi up` from inside the network (a runner in a
# VPC attached to the Transit Gateway), or list the runner's public CIDRs here.
api_access_cidrs: list[str] = config.get_object("apiAccessCidrs") or []


# The central stack's ingest endpoints, exactly as it serves them (ingest.<zone>, TLS when it
# has a certificate), its private zone (each cell's VPC joins it), its CloudWatch exporter and
# Grafana roles (each cell makes a read-only role for them in its own account).
telemetry = TelemetryArgs(
    metrics_remote_write_url=shared.get_output("remote_write_url"),
    logs_otlp_url=shared.get_output("loki_otlp_url"),
    traces_otlp_endpoint=shared.get_output("otlp_endpoint"),
    ingest_zone_id=shared.get_output("ingest_zone_id"),
    ca_certificate_pem=config.get("ingestCaCertificatePem"),
    cloudwatch_reader_principal_arn=shared.get_output("cloudwatch_exporter_role_arn"),
    # Grafana's CloudWatch datasource for this account assumes the same reader role.
    cloudwatch_grafana_principal_arn=shared.get_output("grafana_role_arn"),
)

# Each cell writes as its own ingest user (its name) with its own password, which the shared
# stack generated and exports as the secret output ingest_password_<cell>: it lives there
# only. The collector and the Prometheus agent read it from a Kubernetes Secret in the cell.
primary_telemetry = telemetry.model_copy(
    update={"password": shared.require_output(f"ingest_password_{primary_region}")}
)
standby_telemetry = telemetry.model_copy(
    update={"password": shared.require_output(f"ingest_password_{standby_region}")}
)

# --- 1. Primary cell -------------------------------------------------------------------------
primary = Cell(
    primary_region,
    CellArgs(
        region=primary_region,
        dr_strategy="pilot-light",
        replicas=3,
        rds_global=True,
        kafka_replication=True,
        ipam_pool_id=config.get("primaryIpamPoolId") or shared_pool(primary_region),
        vpc_cidr="10.16.0.0/20",
        telemetry=primary_telemetry,
        # Each cell serves the clients' name itself, so TLS still matches after a failover.
        api_domain_name=record_name,
        api_certificate_arn=config.require("primaryCertificateArn"),
        # The VPC has no internet path: images come through ECR pull-through caches in the
        # cell's account, and ECR needs a credential for Docker Hub (the collector's image).
        docker_hub_credential_arn=config.require("primaryDockerHubCredentialArn"),
        transit_gateway=shared_gateway(primary_region),
        transit_network_provider=network_provider,
        transit_routes=[network_cidr],
        public_access_cidrs=api_access_cidrs,
        protect=protect,
    ),
)

# --- 2. Standby cell, in its own account -----------------------------------------------------
# The provider assumes a role in the standby account; every child of the cell (and the DR's
# standby-side resources) uses it. pulumi-eks needs the provider in the cell's region.
# AWS keeps all members of an Aurora global database in one account, so the standby shares its
# private subnets with the primary account (RAM, same organization), where the DR creates the
# standby database member. The DR creates the role the Region switch plan assumes in the
# standby account (app-arc-standby-cross-account), through this provider.
standby_provider = aws.Provider(
    "standby-account",
    region=standby_region,
    assume_roles=[{"role_arn": config.require("standbyRoleArn"), "session_name": "app-cells"}],
)
standby = Cell(
    standby_region,
    CellArgs(
        region=standby_region,
        dr_strategy="pilot-light",
        replicas=0,
        rds_global=True,
        ipam_pool_id=config.get("standbyIpamPoolId") or shared_pool(standby_region),
        vpc_cidr="10.32.0.0/20",
        telemetry=standby_telemetry,
        api_domain_name=record_name,
        api_certificate_arn=config.require("standbyCertificateArn"),
        docker_hub_credential_arn=config.require("standbyDockerHubCredentialArn"),
        transit_gateway=shared_gateway(standby_region),
        transit_network_provider=network_provider,
        transit_routes=[network_cidr],
        public_access_cidrs=api_access_cidrs,
        # The standby's cluster is created by the standby-account role, its only admin: the
        # Kubernetes provider gets its token as that role, not as the ambient credentials.
        kubeconfig_role_arn=config.require("standbyRoleArn"),
        share_subnets_with=[primary.account_id],
        protect=protect,
    ),
    opts=pulumi.ResourceOptions(providers=[standby_provider]),
)

# --- 3. Pilot-light DR between them ----------------------------------------------------------
dr = PilotLightDr(
    "app",
    PilotLightDrArgs(
        primary=primary.dr_site(),
        standby=standby.dr_site(),
        zone_id=config.require("zoneId"),
        record_name=record_name,
        rto_target_seconds=config.get_int("rtoTargetSeconds") or 300,
        rpo_target_seconds=config.get_int("rpoTargetSeconds") or 60,
        database=AuroraGlobalArgs(
            standby_in_primary_account=True, protect=protect, deletion_protection=protect
        ),
        kafka=KafkaReplicationArgs(engine="msk", standby_in_primary_account=True, protect=protect),
    ),
)

# --- Outputs ---------------------------------------------------------------------------------
pulumi.export("primary_healthz_url", primary.healthz_url)
pulumi.export("standby_healthz_url", standby.healthz_url)
pulumi.export("primary_cluster_name", primary.cluster_name)
pulumi.export("standby_cluster_name", standby.cluster_name)
pulumi.export("primary_cloudwatch_reader_role_arn", primary.cloudwatch_reader_role_arn)
pulumi.export("standby_cloudwatch_reader_role_arn", standby.cloudwatch_reader_role_arn)
pulumi.export("global_cluster_id", dr.global_cluster_id)
pulumi.export("region_switch_plan_arn", dr.region_switch_plan_arn)
pulumi.export("rto_seconds", dr.rto_seconds)
pulumi.export("rpo_seconds", dr.rpo_seconds)
