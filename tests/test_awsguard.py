"""Pulumi's AWS policy pack (``@pulumi/awsguard``) over the examples' plans, without the CLI.

``tests/awsguard/run.js`` loads the pack's policy modules and calls each policy as
``@pulumi/policy``'s analyzer would (see the script's header for why the pack itself cannot be
constructed without a Pulumi CLI). The examples must report only the exceptions their READMEs
list (each also waived, with its reason, in the example's ``guardrails.yaml``).

Needs Node.js, npm and ``npm ci --ignore-scripts --prefix tests/awsguard`` (``.ci/run`` does
it); skips with that command otherwise, and fails under ``CI``.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pulumi_aws as aws
import pytest
import yaml

from conftest import (
    EXAMPLES,
    app_cells_stack_outputs,
    find_tool,
    need,
    shared_account_plan_json,
)
from obs_platform.testing import run, run_program

HARNESS = Path(__file__).resolve().parent / "awsguard"
INSTALL = "npm ci --ignore-scripts --prefix tests/awsguard"


@pytest.fixture(scope="module")
def node() -> str:
    path = find_tool("node")
    need(
        (HARNESS / "node_modules" / "@pulumi" / "awsguard" / "package.json").is_file(),
        f"@pulumi/awsguard not installed for the harness; run `{INSTALL}`",
    )
    return path


def awsguard(node: str, *plans: Path) -> dict[str, Any]:
    result = subprocess.run(
        [node, str(HARNESS / "run.js"), *map(str, plans)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "NODE_NO_WARNINGS": "1"},
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def _plan_file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(text, encoding="utf-8")
    return path


def _waived(example: str) -> set[tuple[str, str]]:
    config = yaml.safe_load((EXAMPLES / example / "guardrails.yaml").read_text(encoding="utf-8"))
    return {
        ("s3-bucket-logging-enabled", w["resource"])
        for w in config["waivers"]
        if w["rule"] == "s3-access-logging"
    }


def test_examples_report_only_the_listed_exceptions(node: str, tmp_path: Path) -> None:
    cells = run_program(EXAMPLES / "app-cells", stack_outputs=app_cells_stack_outputs())
    report = awsguard(
        node, shared_account_plan_json(), _plan_file(tmp_path, "cells", cells.dumps())
    )
    assert report["pack"] == {"name": "pulumi-awsguard", "version": "v0.3.1"}
    assert len(report["policies"]) == 26
    by_project = {r["project"]: r for r in report["results"]}
    for example in ("shared-account", "app-cells"):
        result = by_project[example]
        found = {(v["policy"], v["name"]) for v in result["violations"]}
        assert found == _waived(example), example
        assert result["unknown"] == [] and result["errors"] == []
        readme = (EXAMPLES / example / "README.md").read_text(encoding="utf-8")
        assert "s3-bucket-logging-enabled" in readme
        for _, bucket in found:
            assert f"`{bucket}`" in readme
    assert cells.by_type("aws:lb/loadBalancer:LoadBalancer")


def test_the_harness_reports_what_the_pack_flags(node: str, tmp_path: Path) -> None:
    def program() -> None:
        aws.s3.Bucket("unlogged")
        logged = aws.s3.Bucket("logged")
        aws.s3.BucketLogging(
            "logged-logging", bucket=logged.id, target_bucket="access-logs", target_prefix="logged/"
        )
        aws.kms.Key("static")
        aws.kms.Key("rotating", enable_key_rotation=True)
        aws.rds.Instance(
            "db",
            instance_class="db.t3.micro",
            engine="postgres",
            allocated_storage=20,
            username="app",
            manage_master_user_password=True,
            publicly_accessible=True,
        )
        aws.lb.LoadBalancer("bare-nlb", load_balancer_type="network", subnets=["subnet-1"])

    plan = run(program, config={"aws:region": "eu-west-1"})
    report = awsguard(node, _plan_file(tmp_path, "user", plan.dumps()))
    found = {(v["policy"], v["name"]) for v in report["results"][0]["violations"]}
    assert ("s3-bucket-logging-enabled", "unlogged") in found
    # awsguard 0.3.1 reads the bucket's `loggings` input (pulumi-aws v4); pulumi-aws v7 has
    # no such input (`logging` is deprecated for aws.s3.BucketLogging), so the pack flags every
    # bucket, logged or not: the library's s3-access-logging rule counts BucketLogging.
    assert ("s3-bucket-logging-enabled", "logged") in found
    assert ("cmk-backing-key-rotation-enabled", "static") in found
    assert ("cmk-backing-key-rotation-enabled", "rotating") not in found
    assert ("rds-instance-public-access", "db") in found
    assert ("rds-storage-encrypted", "db") in found
    assert all(v["enforcementLevel"] == "advisory" for v in report["results"][0]["violations"])
    # awsguard 0.3.1 matches load balancers by the tokens of pulumi-aws v4's deprecated modules
    # (aws:elasticloadbalancingv2/..., aws:applicationloadbalancing/...), so it never sees an
    # aws.lb.LoadBalancer: the library's lb-access-logs and lb-deletion-protection rules do.
    assert not {p for p, name in found if name == "bare-nlb"}
