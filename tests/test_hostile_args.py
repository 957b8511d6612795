"""Hostile arguments: refused by validation, with field, value and fix, before any registration.

Named cases reproduce what a hypothesis run over the public args found; the hypothesis test then
builds every public component from generated arguments (a valid base with fields replaced by
hostile values) under the offline engine and asserts that the only failures are the library's
validation errors, raised before the component registered anything.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import STACK_IMAGES, docker_hub_credential
from obs_platform import (
    ArgsError,
    Cell,
    CellArgs,
    Ipam,
    KafkaReplicationArgs,
    ObservabilityStack,
    ObservabilityStackArgs,
    ObsPlatformError,
    PilotLightDr,
    SlackReceiver,
    TimingAssumptions,
    TransitNetwork,
)
from obs_platform.testing import ProgramError, run

SLACK = "https://hooks.slack.com/services/T0000/B0000/XyZsecretTokenValue"


@pytest.mark.parametrize(
    ("build", "field", "expected"),
    [
        (lambda: KafkaReplicationArgs(topics=()), "topics", "at least 1 item"),
        (
            lambda: TimingAssumptions(node_ready_seconds=float("inf")),
            "node_ready_seconds",
            "finite number",
        ),
        (
            lambda: TimingAssumptions(mirror_maker_lag_seconds=float("nan")),
            "mirror_maker_lag_seconds",
            "finite number",
        ),
        (
            lambda: TimingAssumptions(node_ready_seconds=10**30),
            "node_ready_seconds is 1e+30",
            "beyond the largest value accepted (86400)",
        ),
        (
            lambda: CellArgs(region="eu-west-1", tags={f"k{i}": "v" for i in range(49)}),
            "tags",
            "49 tags given; at most 40 fit: AWS allows 50 per resource (10 of them are kept",
        ),
        (
            lambda: CellArgs(region="eu-west-1", az_count=4),
            "az_count 4",
            "more than the 3 Availability Zones eu-west-1 offers; set az_count to 3 or fewer",
        ),
        (
            lambda: ObservabilityStackArgs(
                region="us-west-1",
                vpc_id="vpc-1",
                private_subnet_ids=["subnet-1", "subnet-2", "subnet-3"],
                az_count=3,
                grafana_admin_password="x" * 12,
            ),
            "az_count 3",
            "more than the 2 Availability Zones us-west-1 offers",
        ),
    ],
)
def test_accepted_then_failed_half_way_is_now_refused(
    build: Callable[[], object], field: str, expected: str
) -> None:
    with pytest.raises(ArgsError) as caught:
        build()
    text = str(caught.value)
    assert field in text and expected in text


def test_a_name_with_dollar_is_refused_before_registration() -> None:
    registered: list[str] = []

    def program() -> None:
        with _recording(registered):
            Ipam("core$", {"regions": ["eu-west-1"]})

    with pytest.raises(ProgramError) as caught:
        run(program, config={"aws:region": "eu-west-1"})
    assert isinstance(caught.value.original, ObsPlatformError)
    assert caught.value.original.field == "name"
    assert "'core$'" in str(caught.value.original)
    assert registered == []


def test_validation_errors_mask_secret_values() -> None:
    bad = SLACK.replace("https://", "http://")
    with pytest.raises(ArgsError) as caught:
        SlackReceiver(name="ops", api_url=bad)
    assert "XyZsecretTokenValue" not in str(caught.value)
    assert caught.value.field == "SlackReceiver.api_url"
    assert caught.value.value == f"[masked: {len(bad)} characters]"

    def program() -> None:
        ObservabilityStack(
            "shared",
            {
                "region": "eu-west-1",
                "vpc_id": "vpc-1",
                "private_subnet_ids": ["subnet-1", "subnet-2", "subnet-3"],
                "grafana_admin_password": "hunter2-Gr4fana-secret",
                "admin_principal_arns": ["arn:aws:iam::111111111111:role/admin"],
                **STACK_IMAGES,
                "alerting": {"receivers": [{"kind": "slack", "name": "ops", "api_url": bad}]},
            },
        )

    with pytest.raises(ProgramError) as run_caught:
        run(program, config={"aws:region": "eu-west-1"})
    message = str(run_caught.value.original)
    assert "invalid arguments" in message and "api_url" in message
    for secret in ("XyZsecretTokenValue", "hunter2-Gr4fana-secret"):
        assert secret not in message
        assert secret not in repr(getattr(run_caught.value.original, "value", None))


# --- the hypothesis run ---------------------------------------------------------------------

HOSTILE: list[Any] = [
    float("inf"),
    float("-inf"),
    float("nan"),
    10**30,
    -1,
    0,
    "",
    "$x",
    "a" * 300,
    "10.0.0.0/8",
    (),
    [],
    {},
    None,
    True,
    {f"team:{i}": "v" for i in range(49)},
    {"aws:reserved": "v"},
    [[[[[]]]]],
]


class _recording:  # noqa: N801 - used as a context manager, reads as one
    """Record every resource registration the SDK starts while active."""

    def __init__(self, into: list[str]) -> None:
        self.into = into

    def __enter__(self) -> None:
        import pulumi.runtime.resource as sdk

        self._real = sdk.register_resource

        def register(res: Any, ty: str, name: str, *args: Any, **kwargs: Any) -> Any:
            self.into.append(f"{ty}::{name}")
            return self._real(res, ty, name, *args, **kwargs)

        sdk.register_resource = register

    def __exit__(self, *exc: object) -> None:
        import pulumi.runtime.resource as sdk

        sdk.register_resource = self._real


def _site(name: str, region: str) -> dict[str, Any]:
    account = "111111111111"
    return {
        "name": name,
        "region": region,
        "account_id": account,
        "healthz_host": f"{name}.cells.example.com",
        "eks_cluster_name": f"{name}-eks",
        "eks_cluster_arn": f"arn:aws:eks:{region}:{account}:cluster/{name}-eks",
        "node_group_asg_arn": (
            f"arn:aws:autoscaling:{region}:{account}:autoScalingGroup:0000-1111:"
            f"autoScalingGroupName/eks-{region}"
        ),
        "db_subnet_group_name": f"{name}-db",
        "db_security_group_ids": [f"sg-{name}"],
        "db_kms_key_arn": f"arn:aws:kms:{region}:{account}:key/{name}",
        "kafka_cluster_arn": f"arn:aws:kafka:{region}:{account}:cluster/{name}/uuid-1",
        "kafka_subnet_ids": [f"subnet-{name}"],
        "kafka_security_group_ids": [f"sg-k-{name}"],
        "kafka_bootstrap_servers": f"{name}-bootstrap:9093",
    }


def _bases() -> dict[str, tuple[type, dict[str, Any]]]:
    return {
        "Ipam": (Ipam, {"regions": ["eu-west-1", "us-east-1"]}),
        "TransitNetwork": (TransitNetwork, {"regions": ["eu-west-1", "us-east-1"]}),
        "Cell": (
            Cell,
            {"region": "eu-west-1", "docker_hub_credential_arn": docker_hub_credential()},
        ),
        "ObservabilityStack": (
            ObservabilityStack,
            {
                "region": "eu-west-1",
                "vpc_id": "vpc-0123456789abcdef0",
                "private_subnet_ids": ["subnet-0a", "subnet-0b", "subnet-0c"],
                "grafana_admin_password": pulumi.Output.secret("Gr4fana-Adm1n-Secret!"),
                "admin_principal_arns": ["arn:aws:iam::111111111111:role/platform-admin"],
                **STACK_IMAGES,
            },
        ),
        "PilotLightDr": (
            PilotLightDr,
            {
                "primary": _site("eu-west-1", "eu-west-1"),
                "standby": _site("us-east-1", "us-east-1"),
                "zone_id": "Z0123",
                "record_name": "app.example.com",
            },
        ),
    }


def _fields(component: type) -> list[str]:
    return sorted(component.ARGS_TYPE.model_fields)  # type: ignore[attr-defined]


@st.composite
def _mutation(draw: st.DrawFn, component: str) -> dict[str, Any]:
    kind, base = _bases()[component]
    args = dict(base)
    for field in draw(st.lists(st.sampled_from(_fields(kind)), min_size=1, max_size=2)):
        args[field] = draw(st.sampled_from(HOSTILE))
    return args


def _check_outcome(component: str, args: dict[str, Any]) -> None:
    kind, _ = _bases()[component]
    registered: list[str] = []
    before: list[int] = []

    def program() -> None:
        with _recording(registered):
            before.append(len(registered))
            kind("hostile", args)

    try:
        run(program, config={"aws:region": "eu-west-1"})
    except ProgramError as exc:
        original = exc.original
        assert isinstance(original, ObsPlatformError), (
            f"{component}({args!r}) failed outside validation: {type(original).__name__}: "
            f"{original}"
        )
        assert registered[before[0] :] == [], (
            f"{component}({args!r}) was refused after registering {registered}"
        )
        assert original.field or "invalid arguments" in str(original)


@pytest.mark.parametrize("component", ["Ipam", "TransitNetwork", "PilotLightDr"])
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,
)
@given(data=st.data())
def test_generated_args_fail_only_in_validation(component: str, data: st.DataObject) -> None:
    _check_outcome(component, data.draw(_mutation(component)))


@pytest.mark.parametrize("component", ["Cell", "ObservabilityStack"])
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,
)
@given(data=st.data())
def test_generated_args_of_the_large_components(component: str, data: st.DataObject) -> None:
    _check_outcome(component, data.draw(_mutation(component)))


@pytest.mark.parametrize("component", sorted(_bases()))
def test_each_base_builds(component: str) -> None:
    kind, base = _bases()[component]
    plan = run(lambda: kind("hostile", dict(base)), config={"aws:region": "eu-west-1"})
    assert any(r.type == kind.TYPE_TOKEN and r.name == "hostile" for r in plan.resources)


def test_the_hostile_pool_covers_what_the_issue_lists() -> None:
    assert any(isinstance(v, float) and math.isinf(v) for v in HOSTILE)
    assert "$x" in HOSTILE and 10**30 in HOSTILE and () in HOSTILE
    assert aws  # the provider classes are the real ones


def test_overlapping_cells_on_one_transit_gateway_are_refused_naming_both() -> None:
    from obs_platform import TransitNetworkArgs

    registered: list[str] = []
    cells: list[str] = []

    def program() -> None:
        transit = TransitNetwork("transit", TransitNetworkArgs(regions=["eu-west-1"]))
        common = {
            "region": "eu-west-1",
            "docker_hub_credential_arn": docker_hub_credential(),
            "transit_network": transit,
        }
        Cell("cell-a", {**common, "vpc_cidr": "10.128.0.0/20"})
        Cell("cell-b", {**common, "vpc_cidr": "10.144.0.0/20"})  # disjoint: fine
        cells.append("built")
        with _recording(registered):
            Cell("cell-c", {**common, "vpc_cidr": "10.128.0.0/19"})

    with pytest.raises(ProgramError) as caught:
        run(program, config={"aws:region": "eu-west-1"})
    error = caught.value.original
    assert isinstance(error, ObsPlatformError)
    assert str(error).startswith(
        "Cell 'cell-c': VPC CIDR 10.128.0.0/19 overlaps 10.128.0.0/20 of Cell 'cell-a', attached "
        "to the same Transit Gateway in eu-west-1"
    )
    assert error.field == "CellArgs.vpc_cidr" and "ipam_pool_id" in str(error)
    assert cells == ["built"] and registered == []
