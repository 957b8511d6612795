"""AWS failures become operator messages: Stubber errors, missing credentials, dead endpoints."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions as bex
import pytest
from botocore.stub import Stubber

from conftest import clear_aws_env
from obs_platform.ops import AwsContext, OpsError
from obs_platform.ops.aws import translate


@pytest.fixture
def fake_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clear_aws_env(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


class StubbedContext(AwsContext):
    """Every client is stubbed; tests queue errors on it."""

    def __init__(self) -> None:
        super().__init__(max_attempts=3)
        self.stubbers: dict[tuple[str, str], Stubber] = {}

    def _make_client(self, service: str, region: str) -> Any:
        client = boto3.client(service, region_name=region)
        stubber = Stubber(client)
        stubber.activate()
        self.stubbers[(service, region)] = stubber
        return client

    def stub(self, service: str, region: str) -> Stubber:
        self.client(service, region)
        return self.stubbers[(service, region)]


@pytest.mark.parametrize(
    ("code", "status", "message", "exit_code", "resumable"),
    [
        (
            "Throttling",
            400,
            "AWS throttled rds switchover_global_cluster in us-east-1 (Throttling) "
            "after 3 attempt(s)",
            3,
            True,
        ),
        ("TooManyRequestsException", 429, "AWS throttled", 3, True),
        (
            "RequestTimeout",
            408,
            "rds switchover_global_cluster in us-east-1 timed out (RequestTimeout)",
            3,
            True,
        ),
        (
            "ExpiredToken",
            403,
            "AWS rejected the credentials for rds switchover_global_cluster",
            2,
            False,
        ),
        ("AccessDenied", 403, "not allowed: rds switchover_global_cluster in us-east-1", 2, False),
        ("GlobalClusterNotFoundFault", 404, "not found: rds switchover_global_cluster", 2, False),
        (
            "InvalidGlobalClusterStateFault",
            400,
            "rds switchover_global_cluster in us-east-1 failed "
            "(InvalidGlobalClusterStateFault): boom",
            2,
            False,
        ),
    ],
)
def test_stubbed_errors_are_translated(
    fake_credentials: None, code: str, status: int, message: str, exit_code: int, resumable: bool
) -> None:
    aws = StubbedContext()
    aws.stub("rds", "us-east-1").add_client_error(
        "switchover_global_cluster",
        service_error_code=code,
        service_message="boom",
        http_status_code=status,
    )
    with pytest.raises(OpsError) as info:
        aws.call(
            "rds",
            "us-east-1",
            "switchover_global_cluster",
            GlobalClusterIdentifier="g",
            TargetDbClusterIdentifier="arn:aws:rds:us-east-1:1:cluster:c",
        )
    assert message in str(info.value)
    assert (info.value.exit_code, info.value.resumable) == (exit_code, resumable)


def test_access_denied_names_the_permission(fake_credentials: None) -> None:
    aws = StubbedContext()
    aws.stub("eks", "us-east-1").add_client_error(
        "update_nodegroup_config", service_error_code="AccessDeniedException"
    )
    with pytest.raises(OpsError, match="grant eks:UpdateNodegroupConfig"):
        aws.call(
            "eks",
            "us-east-1",
            "update_nodegroup_config",
            clusterName="c",
            nodegroupName="n",
            scalingConfig={"desiredSize": 1},
        )


def test_route53_always_uses_its_global_region(fake_credentials: None) -> None:
    aws = StubbedContext()
    assert aws.client("route53", "eu-west-1") is aws.client("route53", "us-east-1")
    assert aws.client("route53", "eu-west-1").meta.region_name in ("us-east-1", "aws-global")
    assert aws.client("eks", "eu-west-1").meta.region_name == "eu-west-1"


def test_missing_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clear_aws_env(monkeypatch, tmp_path)
    aws = AwsContext(endpoint_url="http://127.0.0.1:9", max_attempts=1)
    with pytest.raises(OpsError, match="no usable AWS credentials for eks describe_nodegroup"):
        aws.call("eks", "us-east-1", "describe_nodegroup", clusterName="c", nodegroupName="n")


def test_unknown_profile(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    aws = AwsContext(profile="nope")
    with pytest.raises(OpsError, match="AWS profile 'nope' is not configured"):
        aws.call("eks", "us-east-1", "list_clusters")


def test_unreachable_endpoint_is_resumable(fake_credentials: None) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    aws = AwsContext(
        endpoint_url=f"http://127.0.0.1:{port}", max_attempts=1, connect_timeout_seconds=1
    )
    with pytest.raises(OpsError) as info:
        aws.call("eks", "us-east-1", "list_clusters")
    assert "eks list_clusters in us-east-1 timed out or could not connect" in str(info.value)
    assert info.value.resumable and info.value.exit_code == 3


def test_translate_read_timeout() -> None:
    exc = bex.ReadTimeoutError(endpoint_url="https://rds.us-east-1.amazonaws.com")
    err = translate(exc, "rds", "describe_global_clusters", "us-east-1")
    assert "timed out or could not connect" in str(err) and err.resumable


def test_translate_unknown_exception_keeps_its_type() -> None:
    err = translate(RuntimeError("odd"), "rds", "x", "us-east-1")
    assert str(err) == "rds x in us-east-1 failed: RuntimeError: odd"
