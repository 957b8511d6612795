"""``pulumi.StackReference`` offline: outputs from another program's plan JSON or a file."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from conftest import app_cells_stack_outputs, shared_account_plan_json
from conftest import docker_hub_credential as docker_hub
from obs_platform import Cell
from obs_platform.cli import main
from obs_platform.testing import ProgramError, run, run_program
from obs_platform.testing._references import StackReferenceError

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _reader() -> None:
    shared = pulumi.StackReference("acme/shared-account/prod")
    pulumi.export("pools", shared.get_output("regional_pool_ids"))
    pulumi.export("kubeconfig", shared.get_output("kubeconfig"))
    pulumi.export("missing", shared.get_output("no_such_output"))


def _plan_json(tmp_path: Path) -> Path:
    path = tmp_path / "shared.json"
    path.write_text(
        json.dumps(
            {
                "format": "obs-platform.plan/1",
                "project": "shared-account",
                "stack": "prod",
                "resources": [],
                "outputs": {
                    "regional_pool_ids": {"eu-west-1": "ipam-pool-1"},
                    "kubeconfig": "[secret]",
                },
                "dr": [],
            }
        ),
        encoding="utf-8",
    )
    return path


def test_a_plan_json_answers_the_reference_by_project_and_stack(tmp_path: Path) -> None:
    plan = run(_reader, stack_outputs={"shared-account/prod": _plan_json(tmp_path)})
    assert plan.outputs["pools"] == {"eu-west-1": "ipam-pool-1"}
    assert plan.outputs["kubeconfig"] == "[secret]"  # still a secret: written as [secret]
    assert "missing" not in plan.outputs  # get_output of an absent name is None
    reference = plan.by_type("pulumi:pulumi:StackReference")[0]
    assert reference.name == "acme/shared-account/prod"
    assert reference.outputs["secretOutputNames"] == ["kubeconfig"]


def test_an_outputs_mapping_answers_the_full_name() -> None:
    plan = run(
        _reader,
        stack_outputs={"acme/shared-account/prod": {"regional_pool_ids": {"us-east-1": "p"}}},
    )
    assert plan.outputs["pools"] == {"us-east-1": "p"}


def test_a_reference_without_outputs_names_the_stack_and_the_option() -> None:
    with pytest.raises(ProgramError) as caught:
        run(_reader, stack_outputs={"other/stack": {}})
    assert isinstance(caught.value.original, StackReferenceError)
    message = str(caught.value)
    assert "pulumi.StackReference('acme/shared-account/prod') has no outputs offline" in message
    assert "outputs given for: other/stack" in message
    assert "--stack-outputs acme/shared-account/prod=PLAN.json" in message


def _program_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "cells"
    directory.mkdir(exist_ok=True)
    (directory / "Pulumi.yaml").write_text("name: cells\nruntime: python\n", encoding="utf-8")
    (directory / "__main__.py").write_text(
        "import pulumi\n"
        "ref = pulumi.StackReference('acme/shared-account/prod')\n"
        "pulumi.export('pools', ref.get_output('regional_pool_ids'))\n",
        encoding="utf-8",
    )
    return directory


def test_cli_reads_a_plan_json_without_a_name(tmp_path: Path, capsys) -> None:
    target = tmp_path / "cells.json"
    shared = _plan_json(tmp_path)
    code = main(
        ["plan", str(_program_dir(tmp_path)), "--stack-outputs", str(shared), "--json", str(target)]
    )
    assert code == 0, capsys.readouterr().err
    assert json.loads(target.read_text())["outputs"]["pools"] == {"eu-west-1": "ipam-pool-1"}


def test_cli_needs_a_name_for_a_plain_outputs_file(tmp_path: Path, capsys) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"regional_pool_ids": {}}), encoding="utf-8")
    assert main(["plan", str(_program_dir(tmp_path)), "--stack-outputs", str(outputs)]) == 2
    err = capsys.readouterr().err
    assert "is not a plan JSON, so it does not say which stack it holds" in err
    named = f"acme/shared-account/prod={outputs}"
    assert main(["plan", str(_program_dir(tmp_path)), "--stack-outputs", named]) == 0


def test_cli_says_when_the_outputs_file_is_missing(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "nope.json"
    assert main(["plan", str(_program_dir(tmp_path)), "--stack-outputs", str(missing)]) == 2
    assert f"cannot read stack outputs from {missing}" in capsys.readouterr().err


# --- VPCs allocated from another stack's IPAM pools --------------------------------------------

POOLS = {
    "regional_pool_ids": {"eu-west-1": "ipam-pool-0eu", "us-east-1": "ipam-pool-0us"},
    "regional_pool_cidrs": {"eu-west-1": "10.0.0.0/12", "us-east-1": "10.16.0.0/12"},
}


def _vpc_cidrs(plan: Any) -> dict[str, ipaddress.IPv4Network]:
    return {
        vpc.name: ipaddress.IPv4Network(vpc.outputs["cidrBlock"])
        for vpc in plan.by_type("aws:ec2/vpc:Vpc")
    }


def test_two_cells_from_a_referenced_pool_get_disjoint_cidrs_inside_it() -> None:
    def program() -> None:
        shared = pulumi.StackReference("acme/shared-account/prod")
        pool = shared.get_output("regional_pool_ids").apply(lambda ids: ids["eu-west-1"])
        for name in ("cell-a", "cell-b"):
            Cell(
                name,
                {
                    "region": "eu-west-1",
                    "ipam_pool_id": pool,
                    "docker_hub_credential_arn": docker_hub("eu-west-1"),
                },
            )

    plan = run(
        program,
        config={"aws:region": "eu-west-1"},
        stack_outputs={"acme/shared-account/prod": POOLS},
    )
    cidrs = _vpc_cidrs(plan)
    assert sorted(cidrs) == ["cell-a-vpc", "cell-b-vpc"]
    pool = ipaddress.IPv4Network("10.0.0.0/12")
    assert all(cidr.subnet_of(pool) and cidr.prefixlen == 20 for cidr in cidrs.values())
    assert not cidrs["cell-a-vpc"].overlaps(cidrs["cell-b-vpc"])


def test_a_plan_json_gives_the_cidrs_of_the_pools_it_provisions(tmp_path: Path) -> None:
    path = tmp_path / "shared.json"
    pool_cidr = {
        "urn": "urn:pulumi:prod::shared-account::aws:ec2/vpcIpamPoolCidr:VpcIpamPoolCidr::c",
        "type": "aws:ec2/vpcIpamPoolCidr:VpcIpamPoolCidr",
        "name": "c",
        "inputs": {"ipamPoolId": "ipam-pool-0plan", "cidr": "10.32.0.0/14"},
    }
    plan_json = {
        "format": "obs-platform.plan/1",
        "project": "shared-account",
        "stack": "prod",
        "resources": [pool_cidr],
        "outputs": {"pool_id": "ipam-pool-0plan"},
        "dr": [],
    }
    path.write_text(json.dumps(plan_json), encoding="utf-8")

    def program() -> None:
        pool = pulumi.StackReference("acme/shared-account/prod").get_output("pool_id")
        for name, length in [("big", 16), ("one", 20), ("two", 20), ("three", 24)]:
            aws.ec2.Vpc(name, ipv4_ipam_pool_id=pool, ipv4_netmask_length=length)

    cidrs = _vpc_cidrs(
        run(
            program,
            config={"aws:region": "eu-west-1"},
            stack_outputs={"acme/shared-account/prod": path},
        )
    )
    assert {name: cidr.prefixlen for name, cidr in cidrs.items()} == {
        "big": 16,
        "one": 20,
        "two": 20,
        "three": 24,
    }
    assert all(c.subnet_of(ipaddress.IPv4Network("10.32.0.0/14")) for c in cidrs.values())
    blocks = list(cidrs.values())
    assert not any(a.overlaps(b) for i, a in enumerate(blocks) for b in blocks[i + 1 :])


def test_app_cells_vpcs_are_inside_the_shared_accounts_regional_pools() -> None:
    shared = json.loads(shared_account_plan_json().read_text(encoding="utf-8"))["outputs"]
    plan = run_program(EXAMPLES / "app-cells", stack_outputs=app_cells_stack_outputs())
    vpcs = plan.by_type("aws:ec2/vpc:Vpc")
    assert sorted(v.region for v in vpcs) == ["eu-west-1", "us-east-1"]
    for vpc in vpcs:
        pool = ipaddress.IPv4Network(shared["regional_pool_cidrs"][vpc.region])
        assert vpc.inputs["ipv4IpamPoolId"] == shared["regional_pool_ids"][vpc.region]
        assert ipaddress.IPv4Network(vpc.outputs["cidrBlock"]).subnet_of(pool)
