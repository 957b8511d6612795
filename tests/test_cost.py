"""The idle cost of a standby: the pure estimate, the plan's ``dr[].idle_cost`` and the refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import app_cells_stack_outputs
from obs_platform import (
    ArgsError,
    CostAssumptions,
    DatabaseInstances,
    HealthCheckUse,
    MskBrokers,
    NodePool,
    PriceTable,
    StandbyInventory,
)
from obs_platform._internal.cost import HOURS_PER_MONTH, estimate_idle_cost
from obs_platform._internal.rto import compute_budget
from obs_platform.cells.network import INTERFACE_ENDPOINTS
from obs_platform.dr.pilot_light import PilotLightDrArgs, timing_config
from obs_platform.testing import Plan, run_program
from test_pilot_light import _refused, build, site

H = HOURS_PER_MONTH

SMALL = StandbyInventory(
    region="us-east-1",
    eks_clusters=1,
    nodes=(NodePool(instance_type="m7g.large", count=2),),
    databases=(DatabaseInstances(instance_class="db.serverless", count=1, serverless_min_acu=0.5),),
    database_storage=True,
    interface_endpoints=2,
    interface_endpoint_azs=3,
    network_load_balancers=1,
    nat_gateways=1,
    transit_gateway_attachments=1,
    health_checks=(HealthCheckUse(optional_features=2), HealthCheckUse(kind="calculated")),
    database_replication=True,
    object_replication=True,
)
"""A small standby: a cluster, two Graviton nodes, a Serverless v2 secondary at 0.5 ACU, two
interface endpoints in three zones, an NLB, a NAT gateway, a TGW attachment, two health checks,
Aurora and S3 replication in."""


def test_small_standby_against_the_price_settings() -> None:
    """Every item by hand from the default settings: a formula error shows as a difference."""
    usage = CostAssumptions(
        database_storage_gb=10,
        database_replication_gb_month=5,
        object_replication_gb_month=20,
        endpoint_gb_month=1,
        nat_gb_month=2,
        load_balancer_min_lcu=1,
    )
    p = usage.prices
    estimate = estimate_idle_cost(SMALL, usage)
    items = {i.item: i.monthly_usd for i in estimate.line_items}
    assert p.aurora_serverless_v2_acu_hour is not None and p.nlb_hour is not None
    expected = {
        "eks_control_plane": 1 * H * p.eks_cluster_hour,  # type: ignore[operator]
        "nodes_m7g.large": 2 * H * p.ec2_instance_hour["m7g.large"],
        "aurora_serverless_v2_minimum": 1 * 0.5 * H * p.aurora_serverless_v2_acu_hour,
        "aurora_storage": 10 * p.aurora_storage_gb_month,  # type: ignore[operator]
        "nat_gateways": 1 * H * p.nat_gateway_hour,  # type: ignore[operator]
        "nat_gateway_data": 2 * p.nat_gateway_gb,  # type: ignore[operator]
        "interface_endpoints": 2 * 3 * H * p.interface_endpoint_az_hour,  # type: ignore[operator]
        "interface_endpoint_data": 1 * p.interface_endpoint_gb,  # type: ignore[operator]
        "nlb": 1 * H * p.nlb_hour,
        "nlb_capacity_units": 1 * 1 * H * p.nlb_nlcu_hour,  # type: ignore[operator]
        "transit_gateway_attachments": H * p.transit_gateway_attachment_hour,  # type: ignore[operator]
        # One endpoint check and one calculated check, priced as basic AWS-endpoint checks;
        # the endpoint check's two optional features (HTTPS, fast interval) on top.
        "route53_health_checks_aws": 2 * p.health_check_aws_month,  # type: ignore[operator]
        "route53_health_check_features_aws": 2 * p.health_check_feature_aws_month,  # type: ignore[operator]
        "aurora_replicated_write_ios": None,  # no public figure: unpriced
        "inter_region_transfer": (5 + 20) * p.inter_region_transfer_gb,  # type: ignore[operator]
    }
    assert set(items) == set(expected)
    for name, value in expected.items():
        assert items[name] == (None if value is None else round(value, 2)), name
    assert estimate.monthly_usd == round(sum(round(v, 2) for v in expected.values() if v), 2)
    assert estimate.unpriced == (
        "aurora_replicated_write_ios: set PriceTable.aurora_replicated_write_io_million",
    )
    out = estimate.as_output()
    assert out["estimate"] is True and out["complete"] is False
    assert out["prices"] == {"region": "us-east-1", "as_of": p.as_of, "source": p.source}
    assert any("Savings Plans" in a for a in out["assumptions"])
    assert "S3 replication: 20 GB/month (stated); replica storage" in " ".join(out["assumptions"])


FIXED = PriceTable(
    eks_cluster_hour=0.10,
    ec2_instance_hour={"m5.large": 0.10},
    aurora_instance_hour={"db.r6g.large": 0.25},
    aurora_storage_gb_month=0.10,
    aurora_replicated_write_io_million=0.20,
    msk_broker_hour={"kafka.m7g.large": 0.20},
    msk_storage_gb_month=0.10,
    msk_replicator_hour=0.30,
    msk_replicator_gb=0.05,
    nlb_hour=0.02,
    nlb_nlcu_hour=0.01,
    interface_endpoint_az_hour=0.01,
    interface_endpoint_gb=0.01,
    health_check_aws_month=0.50,
    health_check_feature_aws_month=1.00,
    inter_region_transfer_gb=0.02,
)


def test_literal_dollars_for_a_fixed_price_table() -> None:
    inventory = StandbyInventory(
        region="us-east-1",
        eks_clusters=1,
        nodes=(NodePool(instance_type="m5.large", count=2),),
        databases=(DatabaseInstances(instance_class="db.r6g.large", count=1),),
        database_storage=True,
        msk=(MskBrokers(broker_type="kafka.m7g.large", count=3, storage_gb_per_broker=100),),
        msk_replicators=1,
        interface_endpoints=2,
        interface_endpoint_azs=3,
        network_load_balancers=1,
        health_checks=(HealthCheckUse(optional_features=2),),
        database_replication=True,
        kafka_replication=True,
    )
    estimate = estimate_idle_cost(
        inventory,
        CostAssumptions(
            prices=FIXED,
            database_storage_gb=100,
            database_replication_gb_month=50,
            database_replicated_write_ios_million_month=10,
            kafka_replication_gb_month=100,
            endpoint_gb_month=10,
        ),
    )
    by_item = {i.item: i.monthly_usd for i in estimate.line_items}
    assert by_item == {
        "eks_control_plane": 73.00,  # 730 h x $0.10
        "nodes_m5.large": 146.00,  # 2 x 730 h x $0.10
        "aurora_db.r6g.large": 182.50,  # 730 h x $0.25
        "aurora_storage": 10.00,  # 100 GB x $0.10
        "msk_kafka.m7g.large": 438.00,  # 3 x 730 h x $0.20
        "msk_storage": 30.00,  # 300 GB x $0.10
        "msk_replicator": 219.00,  # 730 h x $0.30
        "interface_endpoints": 43.80,  # 6 endpoint-AZs x 730 h x $0.01
        "interface_endpoint_data": 0.10,  # 10 GB x $0.01
        "nlb": 14.60,  # 730 h x $0.02
        "nlb_capacity_units": 7.30,  # 730 h x $0.01
        "route53_health_checks_aws": 0.50,
        "route53_health_check_features_aws": 2.00,  # 2 features x $1.00
        "aurora_replicated_write_ios": 2.00,  # 10 million x $0.20
        "msk_replicator_data": 5.00,  # 100 GB x $0.05
        "inter_region_transfer": 3.00,  # (50 + 100) GB x $0.02
    }
    assert estimate.monthly_usd == 1176.80
    assert estimate.unpriced == ()
    assert estimate.as_output()["complete"] is True
    assert estimate.summary().startswith("~$1,176.80/month (estimate, us-east-1 list prices")


def test_a_scheduled_function_by_hand() -> None:
    """Requests, duration and logs of a function run on a schedule, figures by hand."""
    from obs_platform._internal.cost import ScheduledFunction

    prices = PriceTable(
        lambda_request_million=0.20,
        lambda_gb_second=0.00001,
        logs_ingestion_gb=0.50,
        logs_storage_gb_month=0.03,
    )
    inventory = StandbyInventory(
        region="us-east-1",
        scheduled_functions=(
            ScheduledFunction(name="f", memory_mb=1024, runs_per_hour=120, log_retention_days=30),
        ),
    )
    usage = CostAssumptions(prices=prices, function_run_ms=1000, function_log_bytes_per_run=10_000)
    estimate = estimate_idle_cost(inventory, usage)
    by_item = {i.item: (i.quantity, i.monthly_usd) for i in estimate.line_items}
    assert by_item == {
        # 120 runs/h x 730 h = 87,600 runs = 0.0876 million x $0.20 = $0.01752
        "lambda_requests_f": (pytest.approx(0.0876), 0.02),
        # 87,600 runs x 1 s x 1 GB = 87,600 GB-s x $0.00001 = $0.876
        "lambda_duration_f": (pytest.approx(87_600), 0.88),
        # 87,600 x 10,000 bytes = 0.876 GB x $0.50 = $0.438
        "lambda_logs_ingestion_f": (pytest.approx(0.876), 0.44),
        # 30 days of 0.876 GB a 30.42-day month = 0.864 GB x $0.03 = $0.0259
        "lambda_logs_storage_f": (pytest.approx(0.876 * 30 / (730 / 24)), 0.03),
    }
    assert estimate.monthly_usd == 1.37
    assert any("1000 ms and 10000 log bytes per idle run" in a for a in estimate.assumptions)


def test_the_pairs_ungraceful_function_is_in_its_idle_cost() -> None:
    cost = _idle(build())
    items = {i["item"]: i for i in cost["line_items"]}
    # 60 runs/h (rate(1 minute)) x 730 h = 43,800 runs of 128 MB x 400 ms (stated).
    requests = items["lambda_requests_arc_ungraceful"]
    assert requests["quantity"] == 0.044 and requests["monthly_usd"] == 0.01  # 0.0438 M x $0.20
    duration = items["lambda_duration_arc_ungraceful"]
    assert duration["quantity"] == 2190  # 43,800 x 0.4 s x 0.125 GB
    assert duration["monthly_usd"] == 0.04  # 2,190 GB-s x $0.0000166667 = $0.0365
    logs = items["lambda_logs_ingestion_arc_ungraceful"]
    assert logs["monthly_usd"] == 0.01  # 43,800 x 400 bytes = 0.0175 GB x $0.50
    stored = items["lambda_logs_storage_arc_ungraceful"]
    assert stored["quantity"] == 0.052  # 90 days of 0.0175 GB a 30.42-day month
    assert stored["price_setting"] == "PriceTable.logs_storage_gb_month"
    assert any("EventBridge rules that run the ungraceful-failover" in n for n in cost["notes"])
    # Without the function (opted out, or no automatic failover), nothing of it is counted.
    for args in (
        {"automatic_ungraceful_failover": False, "budget_enforcement": "warn"},
        {"automatic_failover": False, "budget_enforcement": "warn"},
    ):
        gone = _idle(build(args))
        assert not [i for i in gone["line_items"] if i["item"].startswith("lambda_")], args
        assert not any("EventBridge" in n for n in gone["notes"]), args


def test_a_standby_in_another_region_says_the_prices_are_not_its_own() -> None:
    estimate = estimate_idle_cost(StandbyInventory(region="eu-west-1", eks_clusters=1))
    assert estimate.notes == (
        "The standby is in eu-west-1 but the prices are us-east-1's; prices differ by region: "
        "give PriceTable(region='eu-west-1', ...) with eu-west-1's prices.",
    )
    local = estimate_idle_cost(
        StandbyInventory(region="eu-west-1", eks_clusters=1),
        CostAssumptions(prices=PriceTable(region="eu-west-1")),
    )
    assert local.notes == ()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"nat_gateway_hour": -0.01}, "nat_gateway_hour"),
        ({"nat_gateway_hour": 10**9}, "nat_gateway_hour"),
        ({"ec2_instance_hour": {"m5.large": -1}}, "ec2_instance_hour"),
        ({"region": "mars-1"}, "region"),
        ({"as_of": "yesterday"}, "as_of"),
        ({"nat_gateway_per_hour": 0.045}, "nat_gateway_per_hour"),
    ],
)
def test_bad_prices_refused_naming_the_field(values: dict[str, Any], field: str) -> None:
    with pytest.raises(ArgsError) as info:
        PriceTable.model_validate(values)
    assert field in str(info.value)


def test_every_default_price_names_its_source_or_says_it_has_none() -> None:
    for name, info in PriceTable.model_fields.items():
        if name in {"region", "as_of", "currency", "source"}:
            continue
        text = " ".join((info.description or "").split())
        default = info.get_default(call_default_factory=True)
        assert text, name
        if default is None or default == {}:
            assert "not found" in text or "not looked up" in text or "name the charge" in text, name
        else:
            assert "Source" in text, name


# --- The pair's standby, under the offline engine ---------------------------------------------

APP_CELLS = Path(__file__).resolve().parents[1] / "examples" / "app-cells"


@pytest.fixture(scope="module")
def app_cells_plan() -> Plan:
    return run_program(APP_CELLS, stack_outputs=app_cells_stack_outputs())


def _idle(plan: Plan) -> dict[str, Any]:
    (entry,) = plan.dr()
    cost = entry["idle_cost"]
    assert isinstance(cost, dict)
    return cost


def test_plan_entry_carries_the_idle_cost_of_a_hand_built_site() -> None:
    plan = build({"kafka": {"engine": "msk"}})
    cost = _idle(plan)
    items = {i["item"]: i for i in cost["line_items"]}
    # A site built by hand gives no inventory: only what the DR keeps is priced, and it says so.
    assert "eks_control_plane" not in items
    assert any("gives no idle_inventory" in n for n in cost["notes"])
    assert items["aurora_db.r6g.large"]["quantity"] == H
    assert items["aurora_db.r6g.large"]["monthly_usd"] is None
    assert items["msk_replicator"]["quantity"] == H
    assert items["route53_health_checks_aws"]["quantity"] == 3  # healthz, writer check, gate
    assert items["route53_health_check_features_aws"]["quantity"] == 2  # HTTPS + 10 s interval
    # The budget's fields stay exactly as they were.
    entry = plan.dr()[0]
    assert {"rto_seconds", "rpo_seconds", "terms", "verification"} <= set(entry)


def test_price_overrides_reach_the_plan() -> None:
    prices = {"aurora_instance_hour": {"db.r6g.large": 0.25}, "health_check_aws_month": 0.6}
    plan = build({"cost": {"prices": prices, "database_storage_gb": 40}})
    items = {i["item"]: i for i in _idle(plan)["line_items"]}
    assert items["aurora_db.r6g.large"]["monthly_usd"] == 182.50
    assert items["route53_health_checks_aws"]["monthly_usd"] == 1.80  # 3 x $0.60
    assert items["aurora_storage"]["monthly_usd"] == 4.00  # 40 GB x $0.10


def test_cheaper_configurations_that_still_meet_say_what_they_save() -> None:
    prices = {"ec2_instance_hour": {"m5.large": 0.10}}
    plan = build(
        {"cost": {"prices": prices}},
        standby_extra={"warm_nodes": 2, "node_instance_type": "m5.large"},
    )
    options = {o["change"]: o for o in _idle(plan)["options"]}
    rto = plan.dr()[0]["rto_seconds"]
    one = options["standby.warm_nodes=1"]
    assert one["monthly_usd_delta"] == -73.00  # one m5.large x 730 h x $0.10
    assert one["meets_targets"] is True and one["rto_seconds"] == rto
    assert one["text"] == (
        f"standby.warm_nodes=1: saves ~$73.00/month; meets the targets (RTO {rto} s, unchanged)"
    )
    none = options["standby.warm_nodes=0"]
    assert none["monthly_usd_delta"] == -146.00
    # detection 30 + orchestration 70 + the slowest of DNS 60, database 60 and compute: warm
    # nodes 20 s of pods (RTO 160); without them, launch 20 + Ready 45 + pods 20 = 85 (RTO 185).
    assert rto == 160
    assert none["rto_seconds"] == 185
    assert none["meets_targets"] is True
    headless = options["database.standby_instances=0 (headless)"]
    assert headless["meets_targets"] is False
    assert headless["text"].startswith(
        "database.standby_instances=0 (headless): changes the idle cost by an unpriced amount "
        "(set PriceTable.aurora_instance_hour['db.r6g.large']); misses the targets (RTO "
    )


def test_a_smaller_secondary_class_says_what_it_saves_and_what_it_costs() -> None:
    from obs_platform.dr.cost import smaller_instance_class

    assert smaller_instance_class("db.r6g.2xlarge") == "db.r6g.xlarge"
    assert smaller_instance_class("db.r7i.xlarge") == "db.r7i.large"
    assert smaller_instance_class("db.r6g.large") is None  # the smallest size
    assert smaller_instance_class("db.serverless") is None
    prices = {"aurora_instance_hour": {"db.r6g.xlarge": 0.50, "db.r6g.large": 0.25}}
    plan = build(
        {
            "database": {"instance_class": "db.r6g.xlarge", "standby_instances": 2},
            "cost": {"prices": prices},
        }
    )
    rto = plan.dr()[0]["rto_seconds"]
    options = {o["change"]: o for o in _idle(plan)["options"]}
    change = (
        "database.standby_instance_class=db.r6g.large (less capacity after failover until "
        "scaled up)"
    )
    smaller = options[change]
    # 2 secondary instances x 730 h x ($0.50 - $0.25) = $365.00
    assert smaller["monthly_usd_delta"] == -365.00
    assert smaller["rto_seconds"] == rto and smaller["meets_targets"] is True
    assert smaller["text"] == (
        f"{change}: saves ~$365.00/month; meets the targets (RTO {rto} s, unchanged)"
    )
    # Unpriced when the smaller class has no price.
    unpriced = build(
        {
            "database": {"instance_class": "db.r6g.xlarge"},
            "cost": {"prices": {"aurora_instance_hour": {"db.r6g.xlarge": 0.50}}},
        }
    )
    (option,) = [o for o in _idle(unpriced)["options"] if o["change"] == change]
    assert option["monthly_usd_delta"] is None
    assert option["unpriced"] == ["PriceTable.aurora_instance_hour['db.r6g.large']"]
    # Already at the smallest size (the default db.r6g.large): no such option.
    default = _idle(build())
    assert not [o for o in default["options"] if "standby_instance_class" in o["change"]]
    # A secondary already smaller is priced at its own class.
    given = build(
        {
            "database": {
                "instance_class": "db.r6g.xlarge",
                "standby_instance_class": "db.r6g.large",
            },
            "cost": {"prices": prices},
        }
    )
    items = {i["item"]: i for i in _idle(given)["line_items"]}
    assert items["aurora_db.r6g.large"]["monthly_usd"] == 182.50  # 1 x 730 h x $0.25
    assert "aurora_db.r6g.xlarge" not in items


def test_refusal_prices_the_fix_and_the_cheaper_configuration() -> None:
    prices = {"aurora_instance_hour": {"db.r6g.large": 0.25}}
    error = _refused({"database": {"standby_instances": 0}, "cost": {"prices": prices}})
    text = str(error)
    fixed = compute_budget(
        timing_config(
            PilotLightDrArgs.model_validate(
                {
                    "primary": site("eu-west-1", "eu-west-1"),
                    "standby": site("us-east-1", "us-east-1"),
                    "zone_id": "Z0123",
                    "record_name": "app.example.com",
                }
            )
        )
    )
    assert "Idle cost of the standby: ~$" in text and "(estimate, us-east-1 list prices" in text
    assert (
        "  - to meet: database.standby_instances=1: costs ~$182.50/month more; meets the targets "
        f"(RTO {fixed.rto_seconds:g} s, -{1060 - fixed.rto_seconds:g} s)"
    ) in text
    assert (
        "  - cheaper: health_check_interval_seconds=30: saves ~$1.00/month; misses the targets "
        "(RTO 1120 s, +60 s; target 300 s)"
    ) in text


def test_refusal_offers_a_smaller_secondary_class_with_its_saving() -> None:
    prices = {"aurora_instance_hour": {"db.r6g.2xlarge": 1.00, "db.r6g.xlarge": 0.50}}
    error = _refused(
        {
            "database": {"instance_class": "db.r6g.2xlarge"},
            "manual_approval": True,
            "cost": {"prices": prices},
        }
    )
    # 1 secondary x 730 h x ($1.00 - $0.50) = $365.00; the RTO does not move.
    assert (
        "  - cheaper: database.standby_instance_class=db.r6g.xlarge (less capacity after "
        "failover until scaled up): saves ~$365.00/month; misses the targets (RTO "
    ) in str(error)
    assert ", unchanged; target 300 s)" in str(error)


def test_warn_mode_warns_with_the_costs() -> None:
    plan = build({"database": {"standby_instances": 0}, "budget_enforcement": "warn"})
    (warning,) = [d for d in plan.diagnostics if "misses its targets" in d]
    assert "to meet: database.standby_instances=1: changes the idle cost by an unpriced" in warning
    assert "standby.warm_nodes=1" not in warning  # a warm node does not lower this RTO


def test_app_cells_standby_inventory_matches_its_plan(app_cells_plan: Plan) -> None:
    """The estimate counts what the plan registers in the standby region, item by item."""
    standby = [r for r in app_cells_plan.resources if r.region == "us-east-1"]
    interface = [
        r
        for r in standby
        if r.type == "aws:ec2/vpcEndpoint:VpcEndpoint"
        and r.inputs["vpcEndpointType"] == "Interface"
    ]
    assert len(interface) == len(INTERFACE_ENDPOINTS)
    zones = {len(r.inputs["subnetIds"]) for r in interface}
    brokers = [r for r in standby if r.type == "aws:msk/cluster:Cluster"]
    instances = [r for r in standby if r.type == "aws:rds/clusterInstance:ClusterInstance"]
    nlbs = [r for r in standby if r.type == "aws:lb/loadBalancer:LoadBalancer"]
    attachments = [
        r for r in standby if r.type == "aws:ec2transitgateway/vpcAttachment:VpcAttachment"
    ]
    checks = app_cells_plan.by_type("aws:route53/healthCheck:HealthCheck")
    nat = [r for r in standby if r.type == "aws:ec2/natGateway:NatGateway"]
    items = {i["item"]: i for i in _idle(app_cells_plan)["line_items"]}
    assert items["eks_control_plane"]["quantity"] == H * len(
        [r for r in standby if r.type == "eks:index:Cluster"]
    )
    assert items["interface_endpoints"]["quantity"] == H * len(interface) * zones.pop()
    assert not zones
    broker_count = sum(r.inputs["numberOfBrokerNodes"] for r in brokers)
    assert items["msk_kafka.m7g.large"]["quantity"] == H * broker_count
    storage = sum(
        r.inputs["numberOfBrokerNodes"]
        * r.inputs["brokerNodeGroupInfo"]["storageInfo"]["ebsStorageInfo"]["volumeSize"]
        for r in brokers
    )
    assert items["msk_storage"]["quantity"] == storage
    (klass,) = {r.inputs["instanceClass"] for r in instances}
    assert items[f"aurora_{klass}"]["quantity"] == H * len(instances)
    assert items["nlb"]["quantity"] == H * len(nlbs)
    assert items["transit_gateway_attachments"]["quantity"] == H * len(attachments)
    assert items["route53_health_checks_aws"]["quantity"] == len(checks)
    fast_https = [
        r for r in checks if r.inputs["type"] == "HTTPS" and r.inputs["requestInterval"] == 10
    ]
    assert items["route53_health_check_features_aws"]["quantity"] == 2 * len(fast_https)
    assert not nat and "nat_gateways" not in items
    assert "nodes_m6i.large" not in items  # the standby keeps no warm node
    # The ungraceful-failover function: its memory, its every-minute schedule, its logs.
    (function,) = [r for r in standby if r.type == "aws:lambda/function:Function"]
    (schedule,) = [
        r
        for r in standby
        if r.type == "aws:cloudwatch/eventRule:EventRule" and r.inputs.get("scheduleExpression")
    ]
    assert schedule.inputs["scheduleExpression"] == "rate(1 minute)"
    runs = 60 * H
    assert items["lambda_requests_arc_ungraceful"]["quantity"] == round(runs / 1e6, 3)
    memory_gb = function.inputs["memorySize"] / 1024
    assert items["lambda_duration_arc_ungraceful"]["quantity"] == runs * 0.4 * memory_gb
    (logs,) = [
        r
        for r in standby
        if r.type == "aws:cloudwatch/logGroup:LogGroup"
        and r.inputs["name"] == f"/aws/lambda/{function.inputs['name']}"
    ]
    assert (
        f"{logs.inputs['retentionInDays']} days of logs"
        in (items["lambda_logs_storage_arc_ungraceful"]["detail"])
    )


def test_plan_text_shows_the_idle_cost(app_cells_plan: Plan) -> None:
    from obs_platform.testing.render import render_plan

    text = render_plan(app_cells_plan)
    cost = _idle(app_cells_plan)
    assert (
        f"Idle cost of the standby (estimate): ~${cost['monthly_usd']:,.2f}/month at us-east-1 "
        "list prices of"
    ) in text
    assert "      eks_control_plane" in text and "$73.00" in text
    assert "set PriceTable.msk_broker_hour['kafka.m7g.large']" in text
    assert "      assumptions:" in text
    assert "one change at a time:" in text


def test_observability_standby_against_the_price_settings() -> None:
    """The stack's standby (i19's contract): cluster, two system nodes, Serverless v2 secondary
    at 0.5 ACU, 12 interface endpoints in 3 zones, ingest NLB, TGW attachment, one alarm health
    check, bucket replication."""
    from obs_platform import NodeGroupArgs
    from obs_platform.observability.network import INTERFACE_ENDPOINTS as STACK_ENDPOINTS
    from obs_platform.observability.standby_cost import (
        stack_standby_idle_cost,
        stack_standby_inventory,
    )

    groups = {
        "system": NodeGroupArgs(instance_types=("m7g.large",), min_size=2, desired_size=2),
        "burst": NodeGroupArgs(
            instance_types=("m7g.large",), min_size=0, desired_size=0, capacity_type="SPOT"
        ),
    }
    inventory = stack_standby_inventory(
        region="us-east-1",
        az_count=3,
        node_groups=groups,
        grafana_standby_instances=1,
        grafana_min_capacity_acu=0.5,
    )
    cost = CostAssumptions(database_storage_gb=5, object_replication_gb_month=300)
    p = cost.prices
    estimate = stack_standby_idle_cost(inventory, groups, cost)
    items = {i.item: i.monthly_usd for i in estimate.line_items}
    assert len(STACK_ENDPOINTS) == 12
    assert items["eks_control_plane"] == round(H * p.eks_cluster_hour, 2)  # type: ignore[operator]
    assert items["nodes_m7g.large"] == round(2 * H * p.ec2_instance_hour["m7g.large"], 2)
    assert items["aurora_serverless_v2_minimum"] == round(
        0.5 * H * p.aurora_serverless_v2_acu_hour,  # type: ignore[operator]
        2,
    )
    assert items["interface_endpoints"] == round(12 * 3 * H * p.interface_endpoint_az_hour, 2)  # type: ignore[operator]
    assert items["nlb"] == round(H * p.nlb_hour, 2)  # type: ignore[operator]
    assert items["transit_gateway_attachments"] == round(
        H * p.transit_gateway_attachment_hour,  # type: ignore[operator]
        2,
    )
    # The ingest check, the writer gate's alarm check and the gate itself.
    assert items["route53_health_checks_aws"] == round(3 * p.health_check_aws_month, 2)  # type: ignore[operator]
    # Aurora replication at its stated 50 GB plus the buckets' 300 GB cross the region boundary.
    assert items["inter_region_transfer"] == round(350 * p.inter_region_transfer_gb, 2)  # type: ignore[operator]
    assert estimate.notes[0] == (
        "Node groups ['burst'] run Spot capacity: priced here at on-demand prices (an upper bound)."
    )
    # Defaults of 2026-12-01: $73.00 + $119.14 + $43.80 + $0.50 + $262.80 + $0.10 + $16.43
    # + $4.38 + $36.50 + $1.50 + $7.00.
    assert estimate.monthly_usd == 565.15


def test_plan_prices_option_completes_the_estimate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from conftest import shared_account_plan_json
    from obs_platform.cli import main

    prices = tmp_path / "prices.yaml"
    prices.write_text(
        "region: us-east-1\n"
        "as_of: '2026-12-01'\n"
        "aurora_instance_hour: {db.r6g.large: 0.25}\n"
        "aurora_replicated_write_io_million: 0.20\n"
        "msk_broker_hour: {kafka.m7g.large: 0.20}\n"
        "msk_replicator_hour: 0.30\n"
        "msk_replicator_gb: 0.05\n"
    )
    out = tmp_path / "plan.json"
    shared = shared_account_plan_json()
    argv = ["plan", str(APP_CELLS), "--stack-outputs", str(shared), "--json", str(out)]
    assert main([*argv, "--prices", str(prices)]) == 0
    (entry,) = json.loads(out.read_text())["dr"]
    cost = entry["idle_cost"]
    assert cost["complete"] is True and cost["unpriced"] == []
    assert cost["prices"]["source"] == f"--prices {prices}"
    items = {i["item"]: i["monthly_usd"] for i in cost["line_items"]}
    assert items["aurora_db.r6g.large"] == 182.50
    assert items["msk_kafka.m7g.large"] == 438.00  # 3 brokers x 730 h x $0.20
    assert items["msk_replicator"] == 219.00
    assert f"list prices of 2026-12-01 (--prices {prices})" in capsys.readouterr().out
    # Without the option the same program keeps the defaults, and says what is unpriced.
    assert main(argv) == 0
    (entry,) = json.loads(out.read_text())["dr"]
    assert entry["idle_cost"]["complete"] is False
    assert entry["idle_cost"]["prices"]["source"].startswith("obs-platform's defaults")


def test_plan_prices_option_refuses_a_bad_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from obs_platform.cli import main

    bad = tmp_path / "prices.yaml"
    bad.write_text("nat_gateway_hour: -1\n")
    assert main(["plan", str(APP_CELLS), "--prices", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: PriceTable: invalid arguments:" in err
    assert "PriceTable.nat_gateway_hour (got -1)" in err
    assert main(["plan", str(APP_CELLS), "--prices", str(tmp_path / "none.yaml")]) == 2
    assert "Give --prices a YAML or JSON file of PriceTable fields." in capsys.readouterr().err


def test_observability_standby_entry_matches_its_plan() -> None:
    """The stack's own dr entry carries the idle cost of what its plan keeps in dr_region."""
    from test_standby_stack import US, _plan

    plan = _plan(standby={"cost": {"prices": {"ec2_instance_hour": {"m7i.large": 0.10}}}})
    (entry,) = [e for e in plan.dr() if "ObservabilityStack" in e["component"]]
    items = {i["item"]: i for i in entry["idle_cost"]["line_items"]}
    standby = [r for r in plan.resources if r.region == US]
    interface = [
        r
        for r in standby
        if r.type == "aws:ec2/vpcEndpoint:VpcEndpoint"
        and r.inputs["vpcEndpointType"] == "Interface"
    ]
    (zones,) = {len(r.inputs["subnetIds"]) for r in interface}
    assert items["interface_endpoints"]["quantity"] == H * len(interface) * zones
    clusters = [r for r in standby if r.type == "eks:index:Cluster"]
    assert items["eks_control_plane"]["quantity"] == H * len(clusters)
    groups = [r for r in standby if r.type == "aws:eks/nodeGroup:NodeGroup"]
    (node_type,) = {r.inputs["instanceTypes"][0] for r in groups}
    nodes = sum(r.inputs["scalingConfig"]["desiredSize"] for r in groups)
    assert items[f"nodes_{node_type}"]["quantity"] == H * nodes
    assert items[f"nodes_{node_type}"]["monthly_usd"] == round(H * nodes * 0.10, 2)
    nlbs = [
        r
        for r in standby
        if r.type == "aws:lb/loadBalancer:LoadBalancer"
        and r.inputs["loadBalancerType"] == "network"
    ]
    assert items["nlb"]["quantity"] == H * len(nlbs)
    attachments = [
        r for r in standby if r.type == "aws:ec2transitgateway/vpcAttachment:VpcAttachment"
    ]
    assert items["transit_gateway_attachments"]["quantity"] == H * len(attachments)
    secondary = [
        r
        for r in standby
        if r.type == "aws:rds/clusterInstance:ClusterInstance"
        and r.inputs["instanceClass"] == "db.serverless"
    ]
    (scaling,) = {
        r.inputs["serverlessv2ScalingConfiguration"]["minCapacity"]
        for r in standby
        if r.type == "aws:rds/cluster:Cluster"
    }
    assert items["aurora_serverless_v2_minimum"]["quantity"] == H * len(secondary) * scaling
    checks = plan.by_type("aws:route53/healthCheck:HealthCheck")
    assert items["route53_health_checks_aws"]["quantity"] == len(checks)
    assert "nat_gateways" not in items


def _stack_options(plan: Plan) -> dict[str, dict[str, Any]]:
    (entry,) = [e for e in plan.dr() if "ObservabilityStack" in e["component"]]
    return {o["change"]: o for o in entry["idle_cost"]["options"]}


def test_observability_standby_options_say_what_they_save_and_the_rto() -> None:
    """Fewer nodes (down to two), one Grafana secondary instance, 0.5 ACU: each priced."""
    from obs_platform.observability.standby_cost import STANDBY_MIN_NODES
    from test_standby_stack import _plan

    prices = CostAssumptions().prices
    acu = prices.aurora_serverless_v2_acu_hour
    assert acu is not None
    plan = _plan(
        standby={
            "node_groups": {
                "system": {"instance_types": ["m7i.large"], "min_size": 3, "desired_size": 4},
            },
            "grafana_database": {"standby_instances": 2, "min_capacity_acu": 2.0},
            "cost": {"prices": {"ec2_instance_hour": {"m7i.large": 0.10}}},
        }
    )
    options = _stack_options(plan)
    assert STANDBY_MIN_NODES == 2
    assert set(options) == {
        "standby.node_groups.system.min_size=desired_size=2",
        "standby.grafana_database.standby_instances=1",
        "standby.grafana_database.min_capacity_acu=0.5",
    }
    nodes = options["standby.node_groups.system.min_size=desired_size=2"]
    assert nodes["monthly_usd_delta"] == -146.00  # two m7i.large x 730 h x $0.10
    # Warm nodes either way: detection 120 + orchestration 970 + the slowest term 60.
    assert nodes["text"] == (
        "standby.node_groups.system.min_size=desired_size=2: saves ~$146.00/month; meets the "
        "targets (RTO 1150 s, unchanged)"
    )
    instances = options["standby.grafana_database.standby_instances=1"]
    assert instances["monthly_usd_delta"] == -round(H * 2.0 * acu, 2)  # one instance at 2 ACU
    assert (instances["rto_seconds"], instances["meets_targets"]) == (1150, True)
    minimum = options["standby.grafana_database.min_capacity_acu=0.5"]
    assert minimum["monthly_usd_delta"] == -round(H * 2 * 1.5 * acu, 2)  # two instances, -1.5
    assert all(o["cheaper"] for o in options.values())


def test_observability_standby_default_has_no_cheaper_option() -> None:
    """Two nodes, one secondary instance at 0.5 ACU: nothing cheaper still pages and ingests."""
    from test_standby_stack import _plan

    assert _stack_options(_plan()) == {}


def test_observability_standby_refusal_prices_the_fix() -> None:
    from test_standby_stack import _plan

    with pytest.raises(Exception, match=r"standby's failover budget misses") as info:
        _plan(
            standby={
                "rto_target_seconds": 600,
                "node_groups": {
                    "system": {"instance_types": ["m7i.large"], "min_size": 0, "desired_size": 0},
                },
                "cost": {"prices": {"ec2_instance_hour": {"m7i.large": 0.10}}},
            }
        )
    text = str(info.value)
    # No warm nodes: a person scales them (compute 985 s), so the RTO is 2075 s.
    assert "RTO budget 2075 s is not under the target 600 s." in text
    assert "Idle cost of the standby: ~$" in text and "(estimate, us-east-1 list prices" in text
    assert "  - to meet: " not in text  # neither fix alone meets 600 s
    assert (
        "  - lowers the RTO: standby.node_groups.system.desired_size=2: costs ~$146.00/month "
        "more; misses the targets (RTO 1150 s, -925 s; target 600 s)"
    ) in text
    assert (
        "  - lowers the RTO: standby.health_alarm_evaluation_periods=1: adds nothing to the "
        "priced idle cost; misses the targets (RTO 2015 s, -60 s; target 600 s)"
    ) in text
