"""The shared account: the organization's network core, then the central observability stack.

1. ``Ipam``: one VPC IPAM with a pool per operating region, shared through RAM.
2. ``TransitNetwork``: a Transit Gateway per region, the home region peered with every other,
   static routes over the peerings from the IPAM's regional CIDRs, shared through RAM.
3. The observability stack (shared services), attached to the home region's gateway, with a
   pilot-light standby of itself in ``drRegion`` (``standby``): its own cluster, Alertmanager and
   Grafana (on an Aurora global database), and the ingest names failing over to it.
"""

from __future__ import annotations

from pathlib import Path

import pulumi

from obs_platform import (
    GrafanaDatabaseArgs,
    Ipam,
    IpamArgs,
    IpamSharing,
    ObservabilityStack,
    ObservabilityStackArgs,
    RamPrincipals,
    StandbyStackArgs,
    TransitNetwork,
    TransitNetworkArgs,
    TransitPeering,
)

config = pulumi.Config()
home_region = pulumi.Config("aws").require("region")
regions: list[str] = config.get_object("regions") or [home_region, "us-east-1"]
organization_arn = config.get("organizationArn")
external_account_ids: list[str] = config.get_object("externalAccountIds") or []
# The IPAM, its pools and CIDRs, the buckets, keys and the cluster are protected unless the stack
# sets `shared-account:protect false`: the first step of destroying it (README, "Destroy").
protect = config.get_bool("protect")
protect = True if protect is None else protect

# Who may use the pools and gateways: the organization, plus any accounts outside it (those
# must accept the RAM share). None shares nothing.
principals = (
    RamPrincipals(organization_arn=organization_arn, external_account_ids=external_account_ids)
    if organization_arn or external_account_ids
    else None
)

# --- 1. IPAM -------------------------------------------------------------------------------
# Pools, their CIDRs and the IPAM itself are protected: a pool cannot be deleted while VPCs hold
# allocations, and a destroyed VPC releases its allocation only after 20-30 minutes.
ipam = Ipam(
    "core",
    IpamArgs(
        regions=regions,
        home_region=home_region,
        cidr=config.get("cidr") or "10.0.0.0/8",
        sharing=[IpamSharing(name="org", **principals.model_dump())] if principals else [],
        protect=protect,
    ),
)

# --- 2. Transit network --------------------------------------------------------------------
# Cells attach to the "cells" segment, shared services to "shared": cells reach shared
# services and shared services reach cells; cells do not reach each other.
transit = TransitNetwork(
    "transit",
    TransitNetworkArgs(
        regions=regions,
        peerings=[
            TransitPeering(requester=home_region, accepter=r) for r in regions if r != home_region
        ],
        region_cidrs=ipam.regional_pool_cidrs,
        sharing=principals,
    ),
)

# --- 3. Observability stack ----------------------------------------------------------------
# EKS in a private VPC carved from the home region's pool and attached to the "shared"
# segment; Loki and Tempo on S3 (buckets and keys protected); cells push over the transit
# network to an internal NLB. The Grafana admin password is a Pulumi secret:
#   pulumi config set --secret grafanaAdminPassword <password>
dr_region = config.get("drRegion")
# The stack's own standby in drRegion (it needs the replicated buckets and images): a minimal
# cluster with every chart, Grafana's database as an Aurora global database, failover records
# for ingest.obs.internal. Its pull-through caches need credentials in drRegion. Grafana
# verifies the database server with the RDS CA bundle when grafanaDatabaseCaBundle names the
# downloaded global-bundle.pem (RDS user guide, "Using SSL/TLS to encrypt a connection").
ca_bundle_file = config.get("grafanaDatabaseCaBundle")
standby = (
    StandbyStackArgs(
        docker_hub_credential_arn=config.require("standbyDockerHubCredentialArn"),
        ghcr_credential_arn=config.require("standbyGhcrCredentialArn"),
        grafana_database=GrafanaDatabaseArgs(
            ca_bundle_pem=Path(ca_bundle_file).read_text(encoding="utf-8")
            if ca_bundle_file
            else None
        ),
    )
    if dr_region and config.get_bool("standby")
    else None
)
observability = ObservabilityStack(
    "shared-obs",
    ObservabilityStackArgs(
        region=home_region,
        ipam=ipam,
        transit=transit,
        grafana_admin_password=config.require_secret("grafanaAdminPassword"),
        # The VPC has no internet path: every chart image comes through the stack's ECR
        # pull-through caches, and ECR caches Docker Hub and ghcr.io only with a credential.
        docker_hub_credential_arn=config.require("dockerHubCredentialArn"),
        ghcr_credential_arn=config.require("ghcrCredentialArn"),
        admin_principal_arns=config.get_object("clusterAdminArns") or [],
        scale=config.get("scale") or "monolithic",
        dr_region=dr_region,
        replicate_storage=bool(dr_region) and config.get_bool("replicateToDr") is True,
        replicate_images=bool(dr_region) and config.get_bool("replicateToDr") is True,
        standby=standby,
        # TLS on every ingest listener, for the name ingest.obs.internal (see Pulumi.dev.yaml).
        ingest_certificate_arn=config.get("ingestCertificateArn"),
        # Cell VPCs in other accounts that may join the private zone ingest.obs.internal lives
        # in (the cells' vpc_id outputs, after their first deployment).
        ingest_zone_authorized_vpcs=config.get_object("cellVpcs") or [],
        # Cell accounts whose DR metrics the CloudWatch exporter reads (each cell's
        # cloudwatch_reader_role_arn output, with the regions of its DR resources).
        cloudwatch_accounts=config.get_object("cloudwatchAccounts") or [],
        # The cell of the MSK Replicators in this account, by region (their series carry no
        # resource tags for the exporter to find the cell in).
        msk_replicator_cells=config.get_object("mskReplicatorCells") or {},
        # CloudWatch outside this region (us-east-1 for Route 53, drRegion, the cells' regions)
        # is not reachable through PrivateLink: the exporter and Grafana go through this
        # forward proxy, or straight out with internetEgress (a stack with neither is refused).
        cloudwatch_exporter_https_proxy=config.get("cloudwatchExporterHttpsProxy"),
        internet_egress=config.get_bool("internetEgress") is True,
        # Each cell's password: generated here unless ingestPassword-<cell> is set.
        ingest_tenants={
            tenant: config.get_secret(f"ingestPassword-{tenant}")
            for tenant in config.get_object("ingestTenants") or []
        },
        protect=protect,
    ),
)

# --- Outputs -------------------------------------------------------------------------------
pulumi.export("ipam_id", ipam.ipam_id)
pulumi.export("regional_pool_ids", ipam.regional_pool_ids)
pulumi.export("regional_pool_cidrs", ipam.regional_pool_cidrs)
pulumi.export("transit_gateway_ids", transit.transit_gateway_ids)
pulumi.export("transit_route_table_ids", transit.route_table_ids)
pulumi.export("peering_attachment_ids", transit.peering_attachment_ids)
# The VPCs on each gateway ({region: {attachment: CIDR}}): cells in other stacks compare theirs.
pulumi.export("transit_attached_cidrs", transit.attached_vpc_cidrs)
pulumi.export("cluster_name", observability.cluster_name)
pulumi.export("kubeconfig", observability.kubeconfig)
pulumi.export("grafana_url", observability.grafana_url)
pulumi.export("remote_write_url", observability.remote_write_url)
pulumi.export("loki_push_url", observability.loki_push_url)
pulumi.export("loki_otlp_url", observability.loki_otlp_url)
pulumi.export("otlp_endpoint", observability.otlp_endpoint)
pulumi.export("ingest_zone_id", observability.ingest_zone_id)
pulumi.export("cloudwatch_exporter_role_arn", observability.cloudwatch_exporter_role_arn)
pulumi.export("grafana_role_arn", observability.grafana_role_arn)
pulumi.export("alertmanager_config", observability.alertmanager_config)
if observability.standby is not None:
    pulumi.export("standby_cluster_name", observability.standby.cluster_name)
    pulumi.export("standby_grafana_url", observability.standby.grafana_url)
    pulumi.export("grafana_global_cluster_id", observability.grafana_global_cluster_id)
# Each cell's ingest password (a secret output), for its stack's StackReference.
for tenant, password in observability.ingest_passwords.items():
    pulumi.export(f"ingest_password_{tenant}", password)
