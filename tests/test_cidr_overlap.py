"""A cell overlapping a VPC on its Transit Gateway is refused, naming both, before it registers.

Plain values are compared at once (the cell raises before anything is registered); Outputs
(a StackReference's, separate handles of one gateway) through the gate every child of the cell
waits for, so the engine receives none of the cell's children. Registrations are recorded at
the engine's monitor, where ``pulumi up`` would create them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from conftest import docker_hub_credential
from obs_platform import (
    Cell,
    ObsPlatformError,
    TransitGatewayHandle,
    TransitNetwork,
    TransitNetworkArgs,
)
from obs_platform.testing import ProgramError, run
from obs_platform.testing import engine as offline_engine

REGION = "eu-west-1"
SHARED = "organization/shared-account/dev"
TGW = "tgw-0123456789abcdef0"
TABLES = {"cells": "tgw-rtb-0000000000000000a", "shared": "tgw-rtb-0000000000000000b"}
SHARED_OUTPUTS = {
    "transit_gateway_ids": {REGION: TGW},
    "transit_route_table_ids": {REGION: TABLES},
    "transit_attached_cidrs": {REGION: {"shared-obs-tgw": "10.0.0.0/20"}},
}


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Names of the resources whose registration reached the engine."""
    names: list[str] = []
    real = offline_engine._RecordingMonitor.RegisterResource

    def record(monitor: Any, request: Any) -> Any:
        names.append(request.name)
        return real(monitor, request)

    monkeypatch.setattr(offline_engine._RecordingMonitor, "RegisterResource", record)
    yield names


def _cell(name: str, cidr: str, **transit: Any) -> Cell:
    return Cell(
        name,
        {
            "region": REGION,
            "vpc_cidr": cidr,
            "docker_hub_credential_arn": docker_hub_credential(),
            **transit,
        },
    )


def _shared_handle() -> TransitGatewayHandle:
    shared = pulumi.StackReference(SHARED)
    return TransitGatewayHandle.from_outputs(
        REGION,
        transit_gateway_ids=shared.get_output("transit_gateway_ids"),
        route_table_ids=shared.get_output("transit_route_table_ids"),
        attached_vpc_cidrs=shared.get_output("transit_attached_cidrs"),
    )


def _refusal(program: Any, **kwargs: Any) -> ObsPlatformError:
    with pytest.raises(ProgramError) as caught:
        run(program, config={"aws:region": REGION}, **kwargs)
    error = caught.value.original
    assert isinstance(error, ObsPlatformError), error
    return error


def test_cell_overlapping_the_shared_vpc_read_through_a_stack_reference(
    registered: list[str],
) -> None:
    def program() -> None:
        _cell("app", "10.0.0.0/19", transit_gateway=_shared_handle())

    error = _refusal(program, stack_outputs={SHARED: SHARED_OUTPUTS})
    assert str(error).startswith(
        "Cell 'app': VPC CIDR 10.0.0.0/19 overlaps 10.0.0.0/20 of 'shared-obs-tgw' (attached by "
        f"another stack), attached to the same Transit Gateway in {REGION}"
    )
    assert error.field == "CellArgs.vpc_cidr" and error.value == "10.0.0.0/19"
    # The component itself is registered (it creates nothing); none of its children are.
    assert [n for n in registered if n.startswith("app")] == ["app"]


def test_cell_beside_the_shared_vpc_builds_and_waits_for_the_comparison() -> None:
    def program() -> None:
        _cell("app", "10.16.0.0/20", transit_gateway=_shared_handle())

    plan = run(program, config={"aws:region": REGION}, stack_outputs={SHARED: SHARED_OUTPUTS})
    vpc = plan.get("app-vpc", "aws:ec2/vpc:Vpc")
    assert vpc.inputs["cidrBlock"] == "10.16.0.0/20"
    assert plan.get("app-tgw").inputs["transitGatewayId"] == TGW


def test_plain_attached_cidrs_refuse_at_once(registered: list[str]) -> None:
    handle = {"region": REGION, "transit_gateway_id": TGW, "route_table_ids": TABLES}

    def program() -> None:
        _cell(
            "app",
            "10.0.0.0/16",
            transit_gateway={**handle, "attached_vpc_cidrs": {"shared-obs-tgw": "10.0.0.0/20"}},
        )

    error = _refusal(program)
    assert "Cell 'app': VPC CIDR 10.0.0.0/16 overlaps 10.0.0.0/20 of 'shared-obs-tgw'" in str(error)
    assert [n for n in registered if n.startswith("app")] == []


def test_cell_overlapping_a_vpc_attached_in_the_same_program(registered: list[str]) -> None:
    def program() -> None:
        transit = TransitNetwork("transit", TransitNetworkArgs(regions=[REGION]))
        vpc = aws.ec2.Vpc("shared-vpc", cidr_block="10.0.0.0/20", region=REGION)
        transit.attach_vpc(
            "shared-tgw",
            region=REGION,
            vpc_id=vpc.id,
            subnet_ids=["subnet-0123456789abcdef0"],
            segment="shared",
            cidr=vpc.cidr_block,
        )
        _cell("app", "10.0.0.0/19", transit_network=transit)

    error = _refusal(program)
    assert str(error).startswith(
        "Cell 'app': VPC CIDR 10.0.0.0/19 overlaps 10.0.0.0/20 of VPC attachment 'shared-tgw', "
        f"attached to the same Transit Gateway in {REGION}"
    )
    assert [n for n in registered if n.startswith("app")] == ["app"]


def test_attached_vpc_cidrs_lists_what_attach_vpc_claimed() -> None:
    def program() -> None:
        transit = TransitNetwork("transit", TransitNetworkArgs(regions=[REGION]))
        transit.attach_vpc(
            "shared-tgw",
            region=REGION,
            vpc_id="vpc-0123456789abcdef0",
            subnet_ids=["subnet-0123456789abcdef0"],
            cidr="10.0.0.0/20",
        )
        pulumi.export("attached", transit.attached_vpc_cidrs)

    plan = run(program, config={"aws:region": REGION})
    assert plan.outputs["attached"] == {REGION: {"shared-tgw": "10.0.0.0/20"}}


def _outputs_handle(gateway_id: str) -> TransitGatewayHandle:
    # Each call builds its own Outputs, as two cells of one program each reading the shared
    # stack would.
    return TransitGatewayHandle.from_outputs(
        REGION,
        transit_gateway_ids=pulumi.Output.from_input({REGION: gateway_id}),
        route_table_ids=pulumi.Output.from_input({REGION: TABLES}),
    )


def test_separate_handles_of_one_gateway_are_matched_by_id(registered: list[str]) -> None:
    def program() -> None:
        _cell("cell-a", "10.128.0.0/20", transit_gateway=_outputs_handle(TGW))
        _cell("cell-b", "10.128.0.0/19", transit_gateway=_outputs_handle(TGW))

    error = _refusal(program)
    assert str(error).startswith(
        "Cell 'cell-b': VPC CIDR 10.128.0.0/19 overlaps 10.128.0.0/20 of Cell 'cell-a', "
        f"attached to the same Transit Gateway in {REGION}"
    )
    assert [n for n in registered if n.startswith("cell-b")] == ["cell-b"]


def test_handles_of_different_gateways_do_not_conflict() -> None:
    def program() -> None:
        _cell("cell-a", "10.128.0.0/20", transit_gateway=_outputs_handle(TGW))
        _cell("cell-b", "10.128.0.0/20", transit_gateway=_outputs_handle("tgw-0fedcba987654321f"))

    plan = run(program, config={"aws:region": REGION})
    assert plan.get("cell-b-vpc", "aws:ec2/vpc:Vpc").inputs["cidrBlock"] == "10.128.0.0/20"
