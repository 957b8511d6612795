"""The ingest path's AWS side: private names, TLS with ALPN for gRPC, access logs, protection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest

from conftest import STACK_IMAGES, app_cells_stack_outputs
from obs_platform import ObsPlatformError
from obs_platform.observability.network import INTERFACE_ENDPOINTS
from obs_platform.observability.stack import ObservabilityStack
from obs_platform.testing import Plan, ProgramError, run

EU = "eu-west-1"
CERT = "arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-4000-8000-000000000000"
VPC = {"vpc_id": "vpc-0123456789abcdef0", "private_subnet_ids": ["subnet-0a", "subnet-0b"]}
CELL_VPC = "vpc-0fedcba9876543210"


def _plan(**overrides: Any) -> Plan:
    def program() -> None:
        stack = ObservabilityStack(
            "shared",
            {
                "region": EU,
                **VPC,
                "grafana_admin_password": pulumi.Output.secret("pw-123456789"),
                **STACK_IMAGES,
                **overrides,
            },
        )
        for output in ("ingest_host", "ingest_zone_id", "otlp_endpoint", "remote_write_url"):
            pulumi.export(output, getattr(stack, output))

    return run(program, config={"aws:region": EU})


@pytest.fixture(scope="module")
def tls() -> Plan:
    return _plan(
        ingest_certificate_arn=CERT,
        ingest_zone_authorized_vpcs=[{"vpc_id": CELL_VPC, "region": "us-east-1"}],
    )


def test_private_zone_names_the_ingest_endpoints(tls: Plan) -> None:
    zone = tls.get("shared-ingest-zone")
    assert zone.type == "aws:route53/zone:Zone"
    assert zone.inputs["name"] == "obs.internal"
    assert zone.inputs["vpcs"] == [{"vpcId": VPC["vpc_id"], "vpcRegion": EU}]
    assert zone.ignore_changes == ("vpcs",)  # cells' ZoneAssociations are not undone
    record = tls.get("shared-ingest-record")
    assert record.type == "aws:route53/record:Record"
    assert record.inputs["name"] == "ingest.obs.internal"
    assert record.inputs["type"] == "A"
    nlb = tls.get("shared-ingest", "aws:lb/loadBalancer:LoadBalancer")
    assert record.inputs["aliases"] == [
        {
            "name": nlb.outputs["dnsName"],
            "zoneId": nlb.outputs["zoneId"],
            "evaluateTargetHealth": True,
        }
    ]
    authorization = tls.get("shared-ingest-zone-authorization-0")
    assert (
        authorization.type == "aws:route53/vpcAssociationAuthorization:VpcAssociationAuthorization"
    )
    assert authorization.inputs == {
        "zoneId": zone.outputs["zoneId"],
        "vpcId": CELL_VPC,
        "vpcRegion": "us-east-1",
    }
    assert tls.outputs["ingest_host"] == "ingest.obs.internal"
    assert tls.outputs["ingest_zone_id"] == zone.outputs["zoneId"]
    assert tls.outputs["otlp_endpoint"] == "https://ingest.obs.internal:4317"
    assert tls.outputs["remote_write_url"] == "https://ingest.obs.internal:9090/api/v1/write"


def test_only_the_grpc_listener_negotiates_h2(tls: Plan) -> None:
    listeners = {r.name: r.inputs for r in tls.by_type("aws:lb/listener:Listener")}
    assert listeners["shared-ingest-otlp-grpc"]["alpnPolicy"] == "HTTP2Only"
    for name, inputs in listeners.items():
        assert inputs["protocol"] == "TLS"
        assert inputs["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
        if name != "shared-ingest-otlp-grpc":
            # HTTP/1.1 backends (remote-write, Loki, OTLP/HTTP, Grafana) must not get h2
            assert "alpnPolicy" not in inputs


def test_access_logs_and_deletion_protection_by_default(tls: Plan) -> None:
    nlb = tls.get("shared-ingest", "aws:lb/loadBalancer:LoadBalancer")
    bucket = tls.get("shared-ingest-logs-bucket")
    assert nlb.inputs["enableDeletionProtection"] is True
    assert nlb.inputs["accessLogs"] == {"bucket": bucket.outputs["bucket"], "enabled": True}
    policy_resource = tls.get("shared-ingest-logs-policy")
    assert policy_resource.urn in nlb.depends_on  # delivery is allowed before logs are on
    policy = json.loads(policy_resource.inputs["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    write = statements["AWSLogDeliveryWrite"]
    assert write["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert write["Resource"] == f"{bucket.outputs['arn']}/AWSLogs/111111111111/*"
    assert write["Condition"]["ArnLike"] == {
        "aws:SourceArn": ["arn:aws:logs:eu-west-1:111111111111:*"]
    }
    assert statements["DenyInsecureTransport"]["Effect"] == "Deny"
    encryption = tls.get("shared-ingest-logs-encryption").inputs["rules"]
    assert encryption == [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
    public = tls.get("shared-ingest-logs-public-access").inputs
    assert public["blockPublicPolicy"] is True and public["restrictPublicBuckets"] is True
    assert bucket.protect is True


def test_switches_turn_them_off() -> None:
    plan = _plan(ingest_access_logs=False, ingest_deletion_protection=False, ingest_zone_name=None)
    nlb = plan.get("shared-ingest", "aws:lb/loadBalancer:LoadBalancer")
    assert nlb.inputs["enableDeletionProtection"] is False
    assert "accessLogs" not in nlb.inputs
    assert not plan.by_type("aws:route53/zone:Zone")
    assert plan.outputs["ingest_host"] == nlb.outputs["dnsName"]
    assert "ingest_zone_id" not in plan.outputs or plan.outputs["ingest_zone_id"] is None


def test_authorizations_need_a_zone() -> None:
    with pytest.raises(ProgramError) as err:
        _plan(
            ingest_zone_name=None, ingest_zone_authorized_vpcs=[{"vpc_id": CELL_VPC, "region": EU}]
        )
    assert isinstance(err.value.__cause__, ObsPlatformError)
    assert "ingest_zone_authorized_vpcs needs ingest_zone_name" in str(err.value)


def test_cloudwatch_endpoints_for_the_exporter() -> None:
    # YACE calls GetMetricData/ListMetrics (monitoring) and GetResources (tagging).
    assert {"monitoring", "tagging"} <= set(INTERFACE_ENDPOINTS)


def test_examples_wire_the_cells_to_the_stack_over_tls_with_their_own_credentials() -> None:
    import yaml

    from obs_platform.testing import run_program

    root = Path(__file__).resolve().parents[1] / "examples"
    shared = run_program(root / "shared-account")
    cells = run_program(root / "app-cells", stack_outputs=app_cells_stack_outputs())
    # the shared stack serves TLS on ingest.obs.internal, for the two cells' users
    assert shared.outputs["remote_write_url"] == "https://ingest.obs.internal:9090/api/v1/write"
    assert shared.outputs["loki_otlp_url"] == "https://ingest.obs.internal:3100/otlp"
    assert shared.outputs["otlp_endpoint"] == "https://ingest.obs.internal:4317"
    listeners = shared.by_type("aws:lb/listener:Listener")
    assert {r.inputs["protocol"] for r in listeners} == {"TLS"}
    assert shared.get("shared-obs-ingest-gateway-users").inputs["stringData"] == "[secret]"
    nginx = shared.get("shared-obs-ingest-gateway-config").inputs["data"]["nginx.conf"]
    assert "auth_basic_user_file" in nginx
    for cell in ("eu-west-1", "us-east-1"):
        config = yaml.safe_load(cells.get(f"{cell}-telemetry-config").inputs["data"]["config.yaml"])
        exporters = config["exporters"]
        assert exporters["prometheusremotewrite"]["endpoint"] == shared.outputs["remote_write_url"]
        assert exporters["otlphttp/loki"]["endpoint"] == shared.outputs["loki_otlp_url"]
        assert exporters["otlp/tempo"]["endpoint"] == shared.outputs["otlp_endpoint"]
        assert exporters["otlp/tempo"]["tls"] == {"min_version": "1.2"}
        assert exporters["otlp/tempo"]["headers"] == {"X-Scope-OrgID": cell}
        assert all(e["auth"] == {"authenticator": "basicauth/client"} for e in exporters.values())
        secret = cells.get(f"{cell}-telemetry-credentials")
        assert secret.inputs["stringData"] == "[secret]"
        association = cells.get(f"{cell}-ingest-zone-association")
        assert association.inputs["zoneId"] == shared.outputs["ingest_zone_id"]
        reader = cells.get(f"{cell}-cloudwatch-reader-role").inputs["assumeRolePolicy"]
        assert shared.outputs["cloudwatch_exporter_role_arn"] in reader
        assert shared.outputs["grafana_role_arn"] in reader  # Grafana's per-account datasource


def test_a_stack_outside_us_east_1_without_a_path_is_refused_before_building() -> None:
    """Route 53's metrics exist in us-east-1 only; a silent gap was a warning before."""
    with pytest.raises(ProgramError) as info:
        _plan(cloudwatch_exporter_https_proxy=None)
    message = str(info.value.original)
    assert "region='eu-west-1'" in message and "cloudwatch_exporter_https_proxy" in message
    assert "internet_egress=True" in message
    plan = _plan(cloudwatch_exporter_https_proxy=None, internet_egress=True)
    assert not [d for d in plan.diagnostics if "us-east-1" in d]


def test_a_tenant_without_a_password_gets_one_generated_and_kept_in_the_stack() -> None:
    seen: dict[str, str] = {}

    def program() -> None:
        stack = ObservabilityStack(
            "shared",
            {
                "region": EU,
                **VPC,
                "grafana_admin_password": pulumi.Output.secret("pw-123456789"),
                **STACK_IMAGES,
                "ingest_tenants": {"a": None, "b": pulumi.Output.secret("given-password-b")},
            },
        )
        for tenant, password in stack.ingest_passwords.items():
            password.apply(lambda value, t=tenant: seen.__setitem__(t, value))
            pulumi.export(f"ingest_password_{tenant}", password)

    plan = run(program, config={"aws:region": EU})
    (generated,) = plan.by_type("random:index/randomPassword:RandomPassword")
    assert generated.name == "shared-ingest-password-a"
    assert generated.parent == plan.get("shared").urn
    assert (generated.inputs["length"], generated.inputs["special"]) == (32, False)
    assert generated.outputs["result"] == "[secret]"
    # The stack hands the generated value on (the gateway checks it), and the given one as is.
    assert len(seen["a"]) == 32 and seen["a"].isalnum()
    assert seen["b"] == "given-password-b"
    assert plan.outputs["ingest_password_a"] == plan.outputs["ingest_password_b"] == "[secret]"


def test_the_examples_keep_each_cells_password_in_the_shared_stack_only() -> None:
    from obs_platform.testing import run_program

    root = Path(__file__).resolve().parents[1] / "examples"
    shared = run_program(root / "shared-account")
    passwords = shared.by_type("random:index/randomPassword:RandomPassword")
    assert sorted(r.name for r in passwords) == [
        "shared-obs-ingest-password-eu-west-1",
        "shared-obs-ingest-password-us-east-1",
    ]
    for cell in ("eu-west-1", "us-east-1"):
        assert shared.outputs[f"ingest_password_{cell}"] == "[secret]"
    for example in ("shared-account", "app-cells"):
        config = (root / example / "Pulumi.dev.yaml").read_text()
        assert "IngestPassword" not in config and "ingestPassword-eu" not in config, example
