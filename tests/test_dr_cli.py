"""``obs-platform dr`` against moto's server on loopback, Stubber for what moto lacks.

One moto server per session; each test builds its own uniquely named world (global cluster,
EKS clusters and node groups, Route 53 health checks) in it. ``switchover_global_cluster``,
``failover_global_cluster``, ARC Region switch and ``describe_replicator`` go through botocore's
Stubber (with expected parameters); a stubbed switchover also moves the writer in moto, the way
AWS would, so the waits see it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from conftest import clear_aws_env
from obs_platform.cli import main
from obs_platform.ops import AwsContext

ACCOUNT = "123456789012"
PRIMARY = "eu-west-1"
STANDBY = "us-east-1"
PLAN_ARN = f"arn:aws:arc-region-switch::{ACCOUNT}:plan/app-dr:abc123"


# --- moto server and credentials ----------------------------------------------------------------


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, moto_endpoint: str, tmp_path: Path) -> str:
    """Fake credentials and the moto endpoint, for this test only; cwd is tmp_path."""
    clear_aws_env(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.chdir(tmp_path)
    return moto_endpoint


_CLIENTS: dict[tuple[str, str, bool], Any] = {}


def client(service: str, region: str, *, for_stub: bool = False) -> Any:
    """A cached boto3 client on the moto endpoint (creating clients is the slow part)."""
    key = (service, region, for_stub)
    if key not in _CLIENTS:
        _CLIENTS[key] = boto3.client(
            service,
            region_name=region,
            endpoint_url=os.environ["AWS_ENDPOINT_URL"],
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
    return _CLIENTS[key]


# --- the stub router -----------------------------------------------------------------------------


@dataclass
class Queued:
    response: dict[str, Any] | None = None
    error: tuple[str, str, int] | None = None
    expected: dict[str, Any] | None = None
    effect: Callable[[dict[str, Any]], None] | None = None


@dataclass
class Stubs:
    """Queued Stubber answers for (service, operation); other calls go to moto."""

    endpoint: str
    queues: dict[tuple[str, str], list[Queued]] = field(default_factory=lambda: defaultdict(list))
    calls: list[tuple[str, str, str, dict[str, Any]]] = field(default_factory=list)

    def respond(
        self,
        service: str,
        op: str,
        response: dict[str, Any],
        expected: dict[str, Any] | None = None,
        effect: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.queues[(service, op)].append(Queued(response, None, expected, effect))

    def fail(self, service: str, op: str, code: str, message: str = "", status: int = 400) -> None:
        self.queues[(service, op)].append(Queued(None, (code, message or code, status)))

    def called(self, op: str) -> list[dict[str, Any]]:
        return [params for _, name, _, params in self.calls if name == op]

    def stubbed(self, service: str, region: str, op: str) -> Callable[..., Any]:
        def call(**params: Any) -> Any:
            item = self.queues[(service, op)].pop(0)
            self.calls.append((service, op, region, params))
            stubbed = client(service, region, for_stub=True)
            with Stubber(stubbed) as stub:
                if item.error:
                    code, message, status = item.error
                    stub.add_client_error(
                        op,
                        service_error_code=code,
                        service_message=message,
                        http_status_code=status,
                        expected_params=item.expected,
                    )
                else:
                    stub.add_response(op, item.response or {}, item.expected)
                result = getattr(stubbed, op)(**params)
                stub.assert_no_pending_responses()
            if item.effect:
                item.effect(params)
            return result

        return call


class Routed:
    def __init__(self, real: Any, stubs: Stubs, service: str, region: str) -> None:
        self._real, self._stubs, self._service, self._region = real, stubs, service, region

    def __getattr__(self, name: str) -> Any:
        if self._stubs.queues.get((self._service, name)):
            return self._stubs.stubbed(self._service, self._region, name)
        return getattr(self._real, name)


@pytest.fixture
def stubs(aws_env: str, monkeypatch: pytest.MonkeyPatch) -> Stubs:
    registry = Stubs(aws_env)
    original = AwsContext._make_client

    def make(self: AwsContext, service: str, region: str) -> Any:
        return Routed(original(self, service, region), registry, service, region)

    monkeypatch.setattr(AwsContext, "_make_client", make)
    return registry


# --- the world in moto ---------------------------------------------------------------------------


@dataclass
class World:
    uid: str
    gc: str
    primary_db: str
    standby_db: str
    primary_db_arn: str
    standby_db_arn: str
    eks_primary: str
    eks_standby: str
    ng: str
    hc_primary: str
    hc_standby: str
    fqdn_primary: str
    fqdn_standby: str

    def target_args(self) -> list[str]:
        return [
            "--primary-region",
            PRIMARY,
            "--standby-region",
            STANDBY,
            "--global-cluster",
            self.gc,
            "--node-group",
            f"{STANDBY}/{self.eks_standby}:{self.ng}",
            "--node-group",
            f"{PRIMARY}/{self.eks_primary}:{self.ng}",
            "--health-check",
            f"{STANDBY}={self.hc_standby}",
            "--health-check",
            f"{PRIMARY}={self.hc_primary}",
            "--poll-seconds",
            "0",
            "--wait-timeout-seconds",
            "5",
        ]


def _moto_global_cluster(gc: str) -> Any:
    from moto.backends import get_backend

    # moto keeps global clusters in its us-east-1 backend
    return get_backend("rds")[ACCOUNT]["us-east-1"].global_clusters[gc]


def set_writer(gc: str, region: str) -> None:
    """Move the writer the way a completed switchover does."""
    for member in _moto_global_cluster(gc).members:
        member.is_writer = f":{region}:" in member.db_cluster_arn


def writer_of(gc: str) -> str:
    for member in _moto_global_cluster(gc).members:
        if member.is_writer:
            return str(member.db_cluster_arn.split(":")[3])
    raise AssertionError("no writer")


def nodegroup_scaling(region: str, cluster: str, ng: str) -> dict[str, int]:
    eks = client("eks", region)
    return dict(
        eks.describe_nodegroup(clusterName=cluster, nodegroupName=ng)["nodegroup"]["scalingConfig"]
    )


@pytest.fixture
def world(aws_env: str) -> World:
    uid = uuid.uuid4().hex[:8]
    gc = f"app-global-{uid}"
    rds_p = client("rds", PRIMARY)
    rds_s = client("rds", STANDBY)
    rds_p.create_global_cluster(GlobalClusterIdentifier=gc, Engine="aurora-postgresql")
    p = rds_p.create_db_cluster(
        DBClusterIdentifier=f"app-euw1-{uid}",
        Engine="aurora-postgresql",
        MasterUsername="app",
        MasterUserPassword="not-a-real-pw-1",
        GlobalClusterIdentifier=gc,
    )["DBCluster"]
    s = rds_s.create_db_cluster(
        DBClusterIdentifier=f"app-use1-{uid}",
        Engine="aurora-postgresql",
        GlobalClusterIdentifier=gc,
    )["DBCluster"]
    ng = f"workers-{uid}"
    names = {}
    for region, role, size in ((PRIMARY, "euw1", (3, 3, 6)), (STANDBY, "use1", (0, 0, 6))):
        eks = client("eks", region)
        cluster = f"app-{role}-{uid}"
        eks.create_cluster(
            name=cluster,
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/eks",
            resourcesVpcConfig={"subnetIds": ["subnet-1", "subnet-2"]},
        )
        eks.create_nodegroup(
            clusterName=cluster,
            nodegroupName=ng,
            nodeRole=f"arn:aws:iam::{ACCOUNT}:role/node",
            subnets=["subnet-1", "subnet-2"],
            scalingConfig={"minSize": size[0], "desiredSize": size[1], "maxSize": size[2]},
        )
        names[region] = cluster
    r53 = client("route53", "us-east-1")
    checks = {}
    for region in (PRIMARY, STANDBY):
        fqdn = f"{region}.app-{uid}.example.com"
        checks[region] = (
            r53.create_health_check(
                CallerReference=f"{uid}-{region}",
                HealthCheckConfig={
                    "Type": "HTTPS",
                    "FullyQualifiedDomainName": fqdn,
                    "ResourcePath": "/healthz",
                    "Port": 443,
                    "RequestInterval": 10,
                    "FailureThreshold": 3,
                },
            )["HealthCheck"]["Id"],
            fqdn,
        )
    return World(
        uid,
        gc,
        p["DBClusterIdentifier"],
        s["DBClusterIdentifier"],
        p["DBClusterArn"],
        s["DBClusterArn"],
        names[PRIMARY],
        names[STANDBY],
        ng,
        checks[PRIMARY][0],
        checks[STANDBY][0],
        checks[PRIMARY][1],
        checks[STANDBY][1],
    )


def queue_switchover(
    stubs: Stubs, world: World, to_region: str, *, unplanned: bool = False, move: bool = True
) -> None:
    target = world.standby_db_arn if to_region == STANDBY else world.primary_db_arn
    op = "failover_global_cluster" if unplanned else "switchover_global_cluster"
    expected: dict[str, Any] = {
        "GlobalClusterIdentifier": world.gc,
        "TargetDbClusterIdentifier": target,
    }
    if unplanned:
        expected["AllowDataLoss"] = True
    stubs.respond(
        "rds",
        op,
        {"GlobalCluster": {"GlobalClusterIdentifier": world.gc, "Status": "switching-over"}},
        expected,
        effect=(lambda _params: set_writer(world.gc, to_region)) if move else None,
    )


def publish_lag(world: World, milliseconds: float = 120.0) -> None:
    """Publish the old primary's replication lag, as Aurora does once it is a secondary."""
    client("cloudwatch", PRIMARY).put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {
                "MetricName": "AuroraGlobalDBReplicationLag",
                "Value": milliseconds,
                "Unit": "Milliseconds",
                "Timestamp": dt.datetime.now(dt.UTC),
                "Dimensions": [{"Name": "DBClusterIdentifier", "Value": world.primary_db}],
            }
        ],
    )


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Traceback" not in out
    return code, out, err


def read_state(path: Path = Path(".obs-platform/dr-state.json")) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


# --- status --------------------------------------------------------------------------------------


def test_status_json_reports_members_node_groups_health_and_replication(
    stubs: Stubs, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    arn = f"arn:aws:kafka:{STANDBY}:{ACCOUNT}:replicator/app-{world.uid}/abc"
    stubs.respond(
        "kafka",
        "describe_replicator",
        {
            "ReplicatorArn": arn,
            "ReplicatorName": f"app-{world.uid}",
            "ReplicatorState": "RUNNING",
            "KafkaClusters": [
                {"KafkaClusterAlias": "euw1", "AmazonMskCluster": {"MskClusterArn": "arn:src"}},
                {"KafkaClusterAlias": "use1", "AmazonMskCluster": {"MskClusterArn": "arn:dst"}},
            ],
            "ReplicationInfoList": [
                {"SourceKafkaClusterAlias": "euw1", "TargetKafkaClusterAlias": "use1"}
            ],
        },
        {"ReplicatorArn": arn},
    )
    code, out, _ = run_cli(
        capsys, "dr", "status", *world.target_args()[:14], "--replicator", arn, "--json"
    )
    assert code == 0
    status = json.loads(out)
    db = status["database"]
    assert db["identifier"] == world.gc and db["writer_region"] == PRIMARY
    assert {(m["region"], m["cluster"], m["writer"]) for m in db["members"]} == {
        (PRIMARY, world.primary_db, True),
        (STANDBY, world.standby_db, False),
    }
    standby_member = next(m for m in db["members"] if not m["writer"])
    assert standby_member["replication_lag_seconds"] is None  # no metric published
    sizes = {
        (n["region"], n["desired_size"], n["min_size"], n["max_size"])
        for n in status["node_groups"]
    }
    assert sizes == {(STANDBY, 0, 0, 6), (PRIMARY, 3, 3, 6)}
    assert [(h["id"], h["healthy"]) for h in status["health_checks"]] == [
        (world.hc_standby, True),
        (world.hc_primary, True),
    ]
    assert status["kafka_replication"].get("state") == "RUNNING", status["kafka_replication"]
    assert status["kafka_replication"]["flows"] == [{"source": "arn:src", "target": "arn:dst"}]


def test_status_text_shows_lag_from_cloudwatch(
    stubs: Stubs, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    client("cloudwatch", STANDBY).put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {
                "MetricName": "AuroraGlobalDBReplicationLag",
                "Value": 250.0,
                "Unit": "Milliseconds",
                "Timestamp": dt.datetime.now(dt.UTC),
                "Dimensions": [{"Name": "DBClusterIdentifier", "Value": world.standby_db}],
            }
        ],
    )
    code, out, _ = run_cli(capsys, "dr", "status", *world.target_args()[:14])
    assert code == 0
    assert (
        f"global cluster {world.gc} (aurora-postgresql), status available, writer in "
        f"{PRIMARY}" in out
    )
    assert f"{world.standby_db:<30} reader, lag 0.250 s" in out, out
    assert f"{world.eks_standby}:{world.ng:<20} ACTIVE, min 0 desired 0 max 6" in out


def _plan_for(world: World) -> dict[str, Any]:
    stack = "urn:pulumi:dev::app-cells::pulumi:pulumi:Stack::app-cells-dev"
    dr_urn = "urn:pulumi:dev::app-cells::obs-platform:dr:PilotLightDr::app-dr"

    def res(
        rtype: str, name: str, region: str | None, inputs: dict[str, Any], parent: str = dr_urn
    ) -> dict[str, Any]:
        return {
            "urn": f"urn:pulumi:dev::app-cells::{rtype}::{name}",
            "type": rtype,
            "name": name,
            "parent": parent,
            "custom": True,
            "provider": None,
            "region": region,
            "inputs": inputs,
            "protect": False,
            "retain_on_delete": False,
            "depends_on": [],
            "ignore_changes": [],
        }

    return {
        "format": "obs-platform.plan/1",
        "project": "app-cells",
        "stack": "dev",
        "resources": [
            {
                **res("pulumi:pulumi:Stack", "app-cells-dev", None, {}, parent=None),
                "urn": stack,
                "custom": False,
            },
            {
                **res("obs-platform:dr:PilotLightDr", "app-dr", None, {}, parent=stack),
                "urn": dr_urn,
                "custom": False,
            },
            res(
                "aws:rds/globalCluster:GlobalCluster",
                "app-dr-global",
                PRIMARY,
                {"globalClusterIdentifier": world.gc, "engine": "aurora-postgresql"},
            ),
            res(
                "aws:eks/nodeGroup:NodeGroup",
                "use1-nodes",
                STANDBY,
                {"clusterName": "[unknown]", "nodeGroupName": world.ng},
            ),
            res(
                "aws:eks/nodeGroup:NodeGroup",
                "euw1-nodes",
                PRIMARY,
                {"clusterName": world.eks_primary, "nodeGroupName": world.ng},
            ),
            res(
                "aws:eks/nodeGroup:NodeGroup",
                "autonamed-nodes",
                STANDBY,
                {"clusterName": "[unknown]"},
            ),
            res(
                "aws:route53/healthCheck:HealthCheck",
                f"app-dr-health-{STANDBY}",
                STANDBY,
                {"fqdn": world.fqdn_standby, "resourcePath": "/healthz", "type": "HTTPS"},
            ),
            res(
                "aws:route53/healthCheck:HealthCheck",
                f"app-dr-health-{PRIMARY}",
                STANDBY,
                {"fqdn": world.fqdn_primary, "resourcePath": "/healthz", "type": "HTTPS"},
            ),
            res(
                "aws:msk/replicator:Replicator",
                "app-dr-replicator",
                STANDBY,
                {"replicatorName": "[unknown]"},
            ),
        ],
        "outputs": {},
        "dr": [
            {
                "component": dr_urn,
                "primary_region": PRIMARY,
                "standby_region": STANDBY,
                "rto_seconds": 150,
                "rto_target_seconds": 300,
                "rpo_seconds": 1,
                "rpo_target_seconds": 60,
                "terms": {
                    "detection_seconds": 30,
                    "dns_seconds": 60,
                    "database_seconds": 60,
                    "compute_seconds": 120,
                    "orchestration_seconds": 60,
                },
            }
        ],
    }


def test_status_from_plan_resolves_names_and_reports_what_it_cannot(
    stubs: Stubs, world: World, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(_plan_for(world)))
    code, out, err = run_cli(capsys, "dr", "status", "--plan", str(plan), "--json")
    assert code == 0
    status = json.loads(out)
    assert (status["primary_region"], status["standby_region"]) == (PRIMARY, STANDBY)
    assert status["database"]["identifier"] == world.gc
    assert {(n["region"], n["cluster"]) for n in status["node_groups"]} == {
        (STANDBY, world.eks_standby),
        (PRIMARY, world.eks_primary),
    }
    assert {(h["id"], h["region"]) for h in status["health_checks"]} == {
        (world.hc_standby, STANDBY),
        (world.hc_primary, PRIMARY),
    }
    assert status["budget"] == {"rto_seconds": 150.0, "rto_target_seconds": 300.0}
    assert "node group autonamed-nodes in us-east-1: its name is assigned at deploy" in err
    assert "replicator app-dr-replicator: its name is assigned at deploy; pass --replicator" in err


def test_status_unknown_global_cluster_is_reported_not_raised(
    stubs: Stubs, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(
        capsys,
        "dr",
        "status",
        "--primary-region",
        PRIMARY,
        "--standby-region",
        STANDBY,
        "--global-cluster",
        "no-such-db",
    )
    assert code == 0, _
    assert "Database: cannot read: global cluster 'no-such-db' not found" in out


# --- failover ------------------------------------------------------------------------------------


def test_planned_failover_scales_switches_over_and_waits(
    stubs: Stubs, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    queue_switchover(stubs, world, STANDBY)
    code, out, err = run_cli(
        capsys,
        "dr",
        "failover",
        *world.target_args(),
        "--rto-budget-seconds",
        "150",
        "--rto-target-seconds",
        "300",
        "--json",
    )
    assert code == 0, err
    result = json.loads(out)
    assert [(s["id"], s["outcome"]) for s in result["steps"]] == [
        ("preflight", "ran"),
        (f"scale:{STANDBY}/{world.eks_standby}:{world.ng}", "ran"),
        ("database:switchover", "ran"),
        ("wait:database", "ran"),
        ("wait:node-groups", "ran"),
        ("wait:health", "ran"),
    ]
    assert writer_of(world.gc) == STANDBY
    # sized like the primary's node group (desired 3), min raised so nothing scales it in
    assert nodegroup_scaling(STANDBY, world.eks_standby, world.ng) == {
        "minSize": 3,
        "desiredSize": 3,
        "maxSize": 6,
    }
    assert nodegroup_scaling(PRIMARY, world.eks_primary, world.ng)["desiredSize"] == 3
    assert len(stubs.called("switchover_global_cluster")) == 1
    assert not stubs.called("failover_global_cluster")
    assert result["measured_rto_seconds"] is not None and result["within_target"] is True
    assert read_state()["status"] == "completed"
    assert "[database:switchover] switch global cluster" in err


def test_failover_rerun_is_idempotent(
    stubs: Stubs, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    queue_switchover(stubs, world, STANDBY)
    assert run_cli(capsys, "dr", "failover", *world.target_args())[0] == 0
    code, out, _ = run_cli(capsys, "dr", "failover", *world.target_args(), "--json")
    assert code == 0
    steps = {s["id"]: s["outcome"] for s in json.loads(out)["steps"]}
    assert steps["database:switchover"] == "already"
    assert steps[f"scale:{STANDBY}/{world.eks_standby}:{world.ng}"] == "already"
    assert len(stubs.called("switchover_global_cluster")) == 1  # not called again
    assert json.loads(out)["measured_rto_seconds"] is None


def test_unplanned_without_consent_changes_nothing(
    stubs: Stubs, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, "dr", "failover", *world.target_args(), "--unplanned")
    assert code == 4
    assert "writes not yet replicated are lost" in err and "--allow-data-loss" in err
    assert writer_of(world.gc) == PRIMARY
    assert nodegroup_scaling(STANDBY, world.eks_standby, world.ng)["desiredSize"] == 0
    assert not Path(".obs-platform/dr-state.json").exists()


def test_allow_data_loss_without_unplanned_is_rejected(
    stubs: Stubs, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, "dr", "failover", *world.target_args(), "--allow-data-loss")
    assert code == 2 and "only applies with --unplanned" in err


def test_unplanned_failover_with_consent_allows_data_loss(
    stubs: Stubs, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    queue_switchover(stubs, world, STANDBY, unplanned=True)
    code, out, err = run_cli(
        capsys, "dr", "failover", *world.target_args(), "--unplanned", "--allow-data-loss", "--json"
    )
    assert code == 0, err
    steps = {s["id"]: s for s in json.loads(out)["steps"]}
    assert steps["database:failover"]["data_loss"] is True
    assert stubs.called("failover_global_cluster") == [
        {
            "GlobalClusterIdentifier": world.gc,
            "TargetDbClusterIdentifier": world.standby_db_arn,
            "AllowDataLoss": True,
        }
    ]
    assert writer_of(world.gc) == STANDBY


def test_throttling_stops_with_resume_path_and_rerun_resumes(
    stubs: Stubs, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    stubs.fail("rds", "switchover_global_cluster", "Throttling", "Rate exceeded")
    code, _, err = run_cli(capsys, "dr", "failover", *world.target_args())
    assert code == 3
    assert "AWS throttled rds switchover_global_cluster in us-east-1 (Throttling)" in err
    assert f"Completed before it: scale:{STANDBY}/{world.eks_standby}:{world.ng}" in err
    assert "re-run the same command to resume from 'database:switchover'" in err
    state = read_state()
    assert state["status"] == "failed"
    assert state["steps"]["database:switchover"]["status"] == "failed"
    assert writer_of(world.gc) == PRIMARY
    # a different operation may not start over the unfinished one
    code, _, err = run_cli(capsys, "dr", "failback", *world.target_args())
    assert code == 4 and "holds an unfinished failover (planned) from eu-west-1" in err
    queue_switchover(stubs, world, STANDBY)
    code, out, err = run_cli(capsys, "dr", "failover", *world.target_args(), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["resumed"] is True
    outcomes = {s["id"]: s["outcome"] for s in result["steps"]}
    assert outcomes[f"scale:{STANDBY}/{world.eks_standby}:{world.ng}"] == "skipped"
    assert outcomes["database:switchover"] == "ran"
    assert writer_of(world.gc) == STANDBY


def test_wait_timeout_is_resumable(
    stubs: Stubs, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    queue_switchover(stubs, world, STANDBY, move=False)  # AWS accepted; promotion is slow
    args = [*world.target_args()[:-4], "--poll-seconds", "0.05", "--wait-timeout-seconds", "0.2"]
    code, _, err = run_cli(capsys, "dr", "failover", *args)
    assert code == 3
    assert (
        "timed out after 0.2 s waiting for the database writer (last seen: writer in "
        "eu-west-1, status available)" in err
    )
    set_writer(world.gc, STANDBY)  # promotion finishes
    code, out, _ = run_cli(capsys, "dr", "failover", *args, "--json")
    assert code == 0
    outcomes = {s["id"]: s["outcome"] for s in json.loads(out)["steps"]}
    assert outcomes["database:switchover"] == "skipped" and outcomes["wait:database"] == "ran"
    assert len(stubs.called("switchover_global_cluster")) == 1


def test_unhealthy_standby_times_out(
    stubs: Stubs, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    queue_switchover(stubs, world, STANDBY)
    failing = {
        "HealthCheckObservations": [
            {
                "Region": r,
                "IPAddress": "192.0.2.1",
                "StatusReport": {"Status": "Failure: HTTP Status Code 503"},
            }
            for r in ("us-east-1", "eu-west-1", "ap-southeast-1")
        ]
    }
    stubs.respond("route53", "get_health_check_status", {"HealthCheckObservations": []})
    for _ in range(50):
        stubs.respond("route53", "get_health_check_status", failing)
    args = [*world.target_args()[:-4], "--poll-seconds", "0.01", "--wait-timeout-seconds", "0.1"]
    code, _, err = run_cli(capsys, "dr", "failover", *args)
    assert code == 3
    assert (
        f"waiting for the Route 53 health checks (last seen: {world.hc_standby} unhealthy "
        "(0/3 checkers report success), waiting for healthy)"
    ) in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--standby-region", "us-esat-1"], "'us-esat-1' is not a commercial AWS region"),
        (["--node-group", "no-colon"], "is not of the form [REGION/]CLUSTER:NODEGROUP"),
    ],
)
def test_bad_input_is_a_clear_error(
    stubs: Stubs, world: World, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, "dr", "failover", *world.target_args(), *argv)
    assert code == 2 and message in err


def test_unknown_global_cluster_stops_before_changing_anything(
    stubs: Stubs, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    args = world.target_args()
    args[args.index(world.gc)] = "no-such-global"
    code, _, err = run_cli(capsys, "dr", "failover", *args)
    assert code == 2
    assert (
        "stopped at step 'preflight' before changing anything: global cluster "
        "'no-such-global' not found" in err
    )
    assert nodegroup_scaling(STANDBY, world.eks_standby, world.ng)["desiredSize"] == 0


def test_unknown_node_group_is_named(
    stubs: Stubs, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(
        capsys,
        "dr",
        "failover",
        "--primary-region",
        PRIMARY,
        "--standby-region",
        STANDBY,
        "--node-group",
        f"{world.eks_standby}:nope",
        "--poll-seconds",
        "0",
    )
    assert code == 2
    assert f"node group {world.eks_standby}:nope not found in {STANDBY}" in err


def test_missing_credentials_is_a_clear_error(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    clear_aws_env(monkeypatch, tmp_path)
    code, _, err = run_cli(
        capsys, "dr", "failover", *world.target_args(), "--endpoint-url", endpoint
    )
    assert code == 2
    assert "no usable AWS credentials" in err and "AWS_PROFILE" in err
    code, _, err = run_cli(
        capsys,
        "dr",
        "status",
        "--primary-region",
        PRIMARY,
        "--standby-region",
        STANDBY,
        "--global-cluster",
        world.gc,
        "--endpoint-url",
        endpoint,
    )
    assert code == 2 and "no usable AWS credentials" in err


def test_dry_run_makes_no_call_and_marks_done_steps(
    stubs: Stubs, world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stubs.fail("rds", "switchover_global_cluster", "ThrottlingException")
    assert run_cli(capsys, "dr", "failover", *world.target_args())[0] == 3

    def no_calls(self: AwsContext, service: str, region: str) -> Any:
        raise AssertionError("a dry run made an AWS call")

    monkeypatch.setattr(AwsContext, "_make_client", no_calls)
    code, out, _ = run_cli(capsys, "dr", "failover", *world.target_args(), "--dry-run", "--json")
    assert code == 0
    steps = json.loads(out)["operations"][0]["steps"]
    assert [(s["id"], s["done"]) for s in steps][:3] == [
        ("preflight", True),
        (f"scale:{STANDBY}/{world.eks_standby}:{world.ng}", True),
        ("database:switchover", False),
    ]


# --- failback ------------------------------------------------------------------------------------


def test_failback_refuses_while_old_primary_lags(
    stubs: Stubs, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    set_writer(world.gc, STANDBY)  # after a failover
    client("cloudwatch", PRIMARY).put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {
                "MetricName": "AuroraGlobalDBReplicationLag",
                "Value": 30000.0,
                "Unit": "Milliseconds",
                "Timestamp": dt.datetime.now(dt.UTC),
                "Dimensions": [{"Name": "DBClusterIdentifier", "Value": world.primary_db}],
            }
        ],
    )
    code, _, err = run_cli(capsys, "dr", "failback", *world.target_args())
    assert code == 4
    assert (
        f"refusing to fail back: the old primary {world.primary_db} in {PRIMARY} is not "
        "caught up: its replication lag is 30.0 s (limit 1 s)" in err
    )
    assert writer_of(world.gc) == STANDBY
    assert not stubs.called("switchover_global_cluster")


def test_failback_refuses_while_resynchronising(
    stubs: Stubs, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    set_writer(world.gc, STANDBY)
    stubs.respond(
        "rds",
        "describe_global_clusters",
        {
            "GlobalClusters": [
                {
                    "GlobalClusterIdentifier": world.gc,
                    "Status": "available",
                    "GlobalClusterMembers": [
                        {"DBClusterArn": world.standby_db_arn, "IsWriter": True},
                        {
                            "DBClusterArn": world.primary_db_arn,
                            "IsWriter": False,
                            "SynchronizationStatus": "pending-resync",
                        },
                    ],
                }
            ]
        },
    )
    code, _, err = run_cli(capsys, "dr", "failback", *world.target_args())
    assert code == 4
    assert "its synchronization status is 'pending-resync' (needs 'connected')" in err


def test_failover_then_failback_restores_pilot_light(
    stubs: Stubs, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    queue_switchover(stubs, world, STANDBY)
    assert run_cli(capsys, "dr", "failover", *world.target_args())[0] == 0
    publish_lag(world)
    queue_switchover(stubs, world, PRIMARY)
    code, out, err = run_cli(capsys, "dr", "failback", *world.target_args(), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert (result["from_region"], result["to_region"]) == (STANDBY, PRIMARY)
    assert result["steps"][-1]["id"] == f"scale-down:{STANDBY}/{world.eks_standby}:{world.ng}"
    assert result["steps"][-1]["counts_toward_rto"] is False
    assert writer_of(world.gc) == PRIMARY
    assert (
        stubs.called("switchover_global_cluster")[-1]["TargetDbClusterIdentifier"]
        == world.primary_db_arn
    )
    assert nodegroup_scaling(STANDBY, world.eks_standby, world.ng) == {
        "minSize": 0,
        "desiredSize": 0,
        "maxSize": 6,
    }


# --- drill ---------------------------------------------------------------------------------------


def test_drill_writes_json_and_markdown_reports(
    stubs: Stubs, world: World, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    queue_switchover(stubs, world, STANDBY)
    queue_switchover(stubs, world, PRIMARY)
    publish_lag(world)
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(_plan_for(world)))
    code, out, err = run_cli(
        capsys,
        "dr",
        "drill",
        "--plan",
        str(plan),
        "--poll-seconds",
        "0",
        "--report-json",
        "r/drill.json",
        "--report-md",
        "r/drill.md",
    )
    assert code == 0, err
    report = json.loads(Path("r/drill.json").read_text())
    assert report["format"] == "obs-platform.dr-drill/1"
    assert [(p["operation"], p["from_region"], p["to_region"]) for p in report["phases"]] == [
        ("failover", PRIMARY, STANDBY),
        ("failback", STANDBY, PRIMARY),
    ]
    summary = report["summary"]
    assert summary["rto_target_seconds"] == 300 and summary["rto_budget_seconds"] == 150
    assert summary["within_target"] is True and summary["within_budget"] is True
    waits = {s["id"]: s for s in report["phases"][0]["steps"]}
    assert waits["wait:database"]["budget_seconds"] == 60
    assert waits["wait:node-groups"]["budget_seconds"] == 120
    assert waits["wait:health"]["budget_seconds"] == 30
    assert waits["wait:database"]["ready_after_seconds"] is not None
    markdown = Path("r/drill.md").read_text()
    assert markdown.startswith(f"# DR drill {PRIMARY} -> {STANDBY} and back")
    assert "| failover |" in markdown and "| failback |" in markdown
    assert "| 300.0 | yes | 150.0 | yes |" in markdown
    assert "Report written to r/drill.json and r/drill.md" in out
    assert writer_of(world.gc) == PRIMARY


# --- ARC Region switch ---------------------------------------------------------------------------


def _queue_region_switch(stubs: Stubs, final_state: str) -> None:
    stubs.respond("arc-region-switch", "get_plan_in_region", {}, {"arn": PLAN_ARN})
    stubs.respond("arc-region-switch", "list_plan_executions", {"items": []}, {"planArn": PLAN_ARN})
    stubs.respond(
        "arc-region-switch",
        "start_plan_execution",
        {"executionId": "exec-1"},
        {
            "planArn": PLAN_ARN,
            "targetRegion": STANDBY,
            "action": "activate",
            "mode": "graceful",
            "comment": "obs-platform dr failover (planned)",
            "clientToken": ANY,
        },
    )
    base = {
        "planArn": PLAN_ARN,
        "executionId": "exec-1",
        "startTime": dt.datetime(2026, 1, 1),
        "mode": "graceful",
        "executionAction": "activate",
        "executionRegion": STANDBY,
    }
    stubs.respond(
        "arc-region-switch", "get_plan_execution", {**base, "executionState": "inProgress"}
    )
    stubs.respond(
        "arc-region-switch",
        "get_plan_execution",
        {
            **base,
            "executionState": final_state,
            "stepStates": [
                {"name": "scale-eks", "status": "completed"},
                {
                    "name": "aurora-switchover",
                    "status": "failed" if final_state == "failed" else "completed",
                },
            ],
        },
    )


def test_region_switch_plan_is_started_and_followed(
    stubs: Stubs, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    _queue_region_switch(stubs, "completed")
    code, out, err = run_cli(
        capsys,
        "dr",
        "failover",
        "--primary-region",
        PRIMARY,
        "--standby-region",
        STANDBY,
        "--region-switch-plan",
        PLAN_ARN,
        "--health-check",
        f"{STANDBY}={world.hc_standby}",
        "--poll-seconds",
        "0",
        "--json",
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["engine"] == "region-switch"
    assert [s["id"] for s in result["steps"]] == [
        "preflight",
        "region-switch:start",
        "region-switch:wait",
        "wait:health",
    ]
    assert len(stubs.called("get_plan_execution")) == 2


def test_unplanned_failover_switches_the_triggered_execution_to_ungraceful(
    stubs: Stubs, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    # The alarm trigger started a (graceful) execution; the primary region is impaired, so its
    # Aurora switchover failed and the execution paused. The operator consents to data loss.
    stubs.respond("arc-region-switch", "get_plan_in_region", {}, {"arn": PLAN_ARN})
    triggered = {
        "planArn": PLAN_ARN,
        "executionId": "exec-t",
        "startTime": dt.datetime(2026, 1, 1),
        "mode": "graceful",
        "executionState": "pausedByFailedStep",
        "executionAction": "activate",
        "executionRegion": STANDBY,
    }
    stubs.respond(
        "arc-region-switch", "list_plan_executions", {"items": [triggered]}, {"planArn": PLAN_ARN}
    )
    stubs.respond(
        "arc-region-switch",
        "update_plan_execution",
        {},
        {
            "planArn": PLAN_ARN,
            "executionId": "exec-t",
            "action": "switchToUngraceful",
            "comment": "obs-platform dr failover (unplanned, data loss allowed)",
        },
    )
    # Read after the switch: still paused by the failed step, so the CLI resumes it.
    stubs.respond(
        "arc-region-switch",
        "get_plan_execution",
        {**triggered, "mode": "ungraceful"},
        {"planArn": PLAN_ARN, "executionId": "exec-t"},
    )
    stubs.respond(
        "arc-region-switch",
        "update_plan_execution",
        {},
        {
            "planArn": PLAN_ARN,
            "executionId": "exec-t",
            "action": "resume",
            "comment": "obs-platform dr failover (unplanned, data loss allowed)",
        },
    )
    stubs.respond(
        "arc-region-switch",
        "get_plan_execution",
        {**triggered, "mode": "ungraceful", "executionState": "completed"},
    )
    code, out, err = run_cli(
        capsys,
        "dr",
        "failover",
        "--unplanned",
        "--allow-data-loss",
        "--primary-region",
        PRIMARY,
        "--standby-region",
        STANDBY,
        "--region-switch-plan",
        PLAN_ARN,
        "--poll-seconds",
        "0",
        "--json",
    )
    assert code == 0, err
    result = json.loads(out)
    start = next(s for s in result["steps"] if s["id"] == "region-switch:start")
    assert start["detail"] == "execution exec-t switched to ungraceful and resumed"
    assert start["data_loss"] is True
    assert not stubs.called("start_plan_execution")
    assert [c["action"] for c in stubs.called("update_plan_execution")] == [
        "switchToUngraceful",
        "resume",
    ]


def test_unplanned_region_switch_needs_consent(
    stubs: Stubs, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(
        capsys,
        "dr",
        "failover",
        "--unplanned",
        "--primary-region",
        PRIMARY,
        "--standby-region",
        STANDBY,
        "--region-switch-plan",
        PLAN_ARN,
    )
    assert code == 4
    assert "--allow-data-loss" in err
    assert not stubs.called("update_plan_execution") and not stubs.called("start_plan_execution")


def test_failed_region_switch_execution_is_resumable(
    stubs: Stubs, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    _queue_region_switch(stubs, "failed")
    code, _, err = run_cli(
        capsys,
        "dr",
        "failover",
        "--primary-region",
        PRIMARY,
        "--standby-region",
        STANDBY,
        "--region-switch-plan",
        PLAN_ARN,
        "--poll-seconds",
        "0",
    )
    assert code == 3
    assert "Region switch execution exec-1 ended 'failed' at aurora-switchover" in err
    assert "resume from 'region-switch:wait'" in err


def test_scale_with_pulumi_is_gone(capsys: pytest.CaptureFixture[str]) -> None:
    # The Cell's node group ignores desiredSize, so an `up` could never scale it: removed.
    with pytest.raises(SystemExit):
        main(["dr", "failover", "--dry-run", "--scale-with", "pulumi"])
    assert "unrecognized arguments: --scale-with" in capsys.readouterr().err


# --- the app-cells example's real plan -----------------------------------------------------------

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "app-cells"


@pytest.fixture(scope="module")
def example_plan() -> dict[str, Any]:
    """The plan of examples/app-cells (PilotLightDr and Cells as written), run offline once."""
    from obs_platform.testing import run_program

    if not (EXAMPLE / "Pulumi.yaml").is_file():
        pytest.skip("examples/app-cells is not there")
    from conftest import app_cells_stack_outputs

    return dict(run_program(EXAMPLE, None, stack_outputs=app_cells_stack_outputs()).to_json())


def _build_example_world(plan: dict[str, Any]) -> dict[str, str]:
    """Create in moto what the example's plan names, and return the health check IDs by name."""
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for res in plan["resources"]:
        by_type[res["type"]].append(res)
    (gc,) = by_type["aws:rds/globalCluster:GlobalCluster"]
    gc_id = gc["inputs"]["globalClusterIdentifier"]
    entry = plan["dr"][0]
    primary, standby = entry["primary_region"], entry["standby_region"]
    client("rds", primary).create_global_cluster(
        GlobalClusterIdentifier=gc_id, Engine="aurora-postgresql"
    )
    client("rds", primary).create_db_cluster(
        DBClusterIdentifier=f"{gc_id}-p",
        Engine="aurora-postgresql",
        MasterUsername="app",
        MasterUserPassword="not-a-real-pw-1",
        GlobalClusterIdentifier=gc_id,
    )
    client("rds", standby).create_db_cluster(
        DBClusterIdentifier=f"{gc_id}-s", Engine="aurora-postgresql", GlobalClusterIdentifier=gc_id
    )
    for ng in by_type["aws:eks/nodeGroup:NodeGroup"]:
        region, inputs = ng["region"], ng["inputs"]
        eks = client("eks", region)
        eks.create_cluster(
            name=inputs["clusterName"],
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/eks",
            resourcesVpcConfig={"subnetIds": ["subnet-1"]},
        )
        size = inputs["scalingConfig"]
        eks.create_nodegroup(
            clusterName=inputs["clusterName"],
            nodegroupName=inputs["nodeGroupName"],
            nodeRole=f"arn:aws:iam::{ACCOUNT}:role/node",
            subnets=["subnet-1"],
            scalingConfig={
                "minSize": size["minSize"],
                "desiredSize": size["desiredSize"],
                "maxSize": size["maxSize"],
            },
        )
    r53 = client("route53", "us-east-1")
    ids: dict[str, str] = {}
    for hc in by_type["aws:route53/healthCheck:HealthCheck"]:
        inputs = hc["inputs"]
        config: dict[str, Any] = {
            "Type": "HTTPS",
            "Port": 443,
            "ResourcePath": "/healthz",
            "FullyQualifiedDomainName": inputs.get("fqdn") or "x.invalid",
        }
        hc_id = r53.create_health_check(CallerReference=hc["name"], HealthCheckConfig=config)[
            "HealthCheck"
        ]["Id"]
        r53.change_tags_for_resource(
            ResourceType="healthcheck",
            ResourceId=hc_id,
            AddTags=[{"Key": "Name", "Value": inputs["tags"]["Name"]}],
        )
        ids[hc["name"]] = hc_id
    return ids


def stub_gate_status(stubs: Stubs, gate: str, healthy: bool) -> None:
    """Queue the gate's status. A calculated check's status comes from CloudWatch in
    us-east-1 (GetHealthCheckStatus refuses calculated checks)."""
    stubs.respond(
        "cloudwatch",
        "get_metric_statistics",
        {
            "Datapoints": [
                {"Timestamp": dt.datetime(2026, 1, 1), "Minimum": 1.0 if healthy else 0.0}
            ]
        },
        {
            "Namespace": "AWS/Route53",
            "MetricName": "HealthCheckStatus",
            "Dimensions": [{"Name": "HealthCheckId", "Value": gate}],
            "StartTime": ANY,
            "EndTime": ANY,
            "Period": 60,
            "Statistics": ["Minimum"],
        },
    )


def test_example_plan_end_to_end(
    stubs: Stubs, example_plan: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(example_plan))
    checks = _build_example_world(example_plan)
    entry = example_plan["dr"][0]
    primary, standby = entry["primary_region"], entry["standby_region"]
    (gc,) = [
        r for r in example_plan["resources"] if r["type"] == "aws:rds/globalCluster:GlobalCluster"
    ]
    gc_id = gc["inputs"]["globalClusterIdentifier"]
    gate = next(i for name, i in checks.items() if name.endswith("-primary-gate"))
    healthz = next(i for name, i in checks.items() if name.endswith("-primary-healthz"))
    (switch_plan,) = [
        r for r in example_plan["resources"] if r["type"] == "aws:arcregionswitch/plan:Plan"
    ]
    (replicator,) = [
        r for r in example_plan["resources"] if r["type"] == "aws:msk/replicator:Replicator"
    ]
    plan_name = switch_plan["inputs"]["name"]
    rep_name = replicator["inputs"]["replicatorName"]
    rep_arn = f"arn:aws:kafka:{standby}:{ACCOUNT}:replicator/{rep_name}/x"

    def gate_status(healthy: bool) -> None:
        stub_gate_status(stubs, gate, healthy)

    def lookups() -> None:
        stubs.respond(
            "arc-region-switch",
            "list_plans_in_region",
            {
                "plans": [
                    {
                        "arn": PLAN_ARN,
                        "name": plan_name,
                        "owner": ACCOUNT,
                        "regions": [primary, standby],
                        "recoveryApproach": "activePassive",
                    }
                ]
            },
        )
        stubs.respond(
            "kafka",
            "list_replicators",
            {"Replicators": [{"ReplicatorName": rep_name, "ReplicatorArn": rep_arn}]},
            {"ReplicatorNameFilter": rep_name},
        )

    lookups()
    stubs.respond(
        "kafka",
        "describe_replicator",
        {"ReplicatorArn": rep_arn, "ReplicatorName": rep_name, "ReplicatorState": "RUNNING"},
    )
    # dr status reads the secondary's replication lag first, then the gate.
    stubs.respond("cloudwatch", "get_metric_statistics", {"Datapoints": []})
    gate_status(True)
    code, out, err = run_cli(capsys, "dr", "status", "--plan", str(plan_file), "--json")
    assert code == 0, err
    status = json.loads(out)
    assert status["database"]["identifier"] == gc_id
    assert status["database"]["writer_region"] == primary
    assert {(h["id"], h["region"], h["gate"]) for h in status["health_checks"]} == {
        (gate, primary, True),
        (healthz, primary, False),
    }
    assert status["kafka_replication"]["state"] == "RUNNING"
    gate_entry = next(h for h in status["health_checks"] if h["gate"])
    assert gate_entry["healthy"] is True and gate_entry["source"] == "HealthCheckStatus"
    assert status["region_switch_plan"] == {"arn": PLAN_ARN}
    assert status["budget"] == {
        "rto_seconds": entry["rto_seconds"],
        "rto_target_seconds": entry["rto_target_seconds"],
    }

    # direct steps (the Region switch plan is found but --engine direct is asked for)
    lookups()
    for healthy in (True, True, False):  # preflight, first poll, the gate closes
        gate_status(healthy)
    stubs.respond(
        "rds",
        "switchover_global_cluster",
        {},
        None,
        effect=lambda params: set_writer(gc_id, standby),
    )
    code, out, err = run_cli(
        capsys,
        "dr",
        "failover",
        "--plan",
        str(plan_file),
        "--engine",
        "direct",
        "--poll-seconds",
        "0",
        "--json",
    )
    assert code == 0, err
    result = json.loads(out)
    assert [s["id"] for s in result["steps"]] == [
        "preflight",
        f"scale:{standby}/{standby}-eks:{standby}-nodes",
        "database:switchover",
        "wait:database",
        "wait:node-groups",
        "wait:health",
    ]
    assert stubs.called("switchover_global_cluster")[0]["GlobalClusterIdentifier"] == gc_id
    assert result["rto_budget_seconds"] == entry["rto_seconds"]
    assert writer_of(gc_id) == standby
    scaled = nodegroup_scaling(standby, f"{standby}-eks", f"{standby}-nodes")
    primary_size = nodegroup_scaling(primary, f"{primary}-eks", f"{primary}-nodes")
    assert scaled["desiredSize"] == primary_size["desiredSize"] >= 1


@pytest.mark.parametrize(
    ("engine", "planned_db", "unplanned_db"),
    [
        ("region-switch", "switchoverOnly", "failover"),
        ("direct", "database:switchover", "database:failover"),
    ],
)
def test_dry_run_shows_graceful_and_ungraceful_paths(
    engine: str, planned_db: str, unplanned_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    names = (
        "--primary-region",
        PRIMARY,
        "--standby-region",
        STANDBY,
        "--global-cluster",
        "app-global",
        "--region-switch-plan",
        PLAN_ARN,
        "--node-group",
        f"{STANDBY}/c:ng",
    )
    dry_run = ("dr", "failover", "--dry-run", "--engine", engine, *names)
    code, out, err = run_cli(capsys, *dry_run, "--json")
    assert code == 0, err
    planned, unplanned = json.loads(out)["operations"]
    assert (planned["mode"], planned["needs_consent"]) == ("planned", False)
    assert (unplanned["mode"], unplanned["needs_consent"]) == ("unplanned", True)
    if engine == "region-switch":
        starts = [op["steps"][1] for op in (planned, unplanned)]
        assert [s["params"]["mode"] for s in starts] == ["graceful", "ungraceful"]
        assert [s["params"]["aurora"] for s in starts] == [planned_db, unplanned_db]
        assert [s["data_loss"] for s in starts] == [False, True]
    else:
        assert planned_db in [s["id"] for s in planned["steps"]]
        lossy = [s["id"] for s in unplanned["steps"] if s["data_loss"]]
        assert lossy == [unplanned_db]
    code, out, _ = run_cli(capsys, *dry_run)
    assert "graceful path: the primary is reachable, no data loss" in out
    assert "runs only with --unplanned --allow-data-loss" in out and "CAN LOSE DATA" in out
