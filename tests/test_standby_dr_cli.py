"""``obs-platform dr`` fails the observability stack over and back (moto on loopback, Stubber).

The shared-account example's plan has one ``dr`` entry, the stack's own: the same steps as a
cell pair's (scale the standby's node groups, switch Grafana's global database over, wait for
the ingest names' writer gate), found in the plan by the same rules.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from conftest import shared_account_plan_json
from obs_platform._internal.bucket_policy import READ_ONLY_SID, read_only_statement
from obs_platform.observability.storage import tls_only_policy
from obs_platform.ops import OpsError
from obs_platform.ops.aws import AwsContext
from obs_platform.ops.model import ReadOnlyBucketRef
from test_dr_cli import (  # noqa: F401  (fixtures)
    Stubs,
    _build_example_world,
    aws_env,
    client,
    moto_endpoint,
    nodegroup_scaling,
    run_cli,
    set_writer,
    stub_gate_status,
    stubs,
    writer_of,
)

GLOBAL_DB = "shared-obs-grafana-global"


def _queue_switch(stubs: Stubs, gate: str, statuses: tuple[bool, ...], writer: str) -> None:
    """Queue the ingest gate's statuses and the switchover that moves Grafana's writer."""
    for healthy in statuses:
        stub_gate_status(stubs, gate, healthy)
    stubs.respond(
        "rds",
        "switchover_global_cluster",
        {},
        None,
        effect=lambda _params: set_writer(GLOBAL_DB, writer),
    )


ROLES = ("loki-chunks", "loki-ruler", "tempo-traces")


def _storage(suffix: str) -> dict[str, Any]:
    """Create the stack's buckets in moto, autonamed the way Pulumi names them
    (``{resource name}-{7 hex}``): the replicas in us-east-1 with the program's read-only
    policy for the standby's Loki and Tempo roles, the primary's buckets in eu-west-1 with the
    TLS-only policy, and decoys that must not match (a replica-named bucket whose suffix is not
    an autoname, and the primary's roles)."""
    iam = client("iam", "us-east-1")
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "pods.eks.amazonaws.com"},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                }
            ],
        }
    )
    writers = [
        iam.create_role(
            RoleName=f"shared-obs-dr-{engine}-role-{suffix}", AssumeRolePolicyDocument=trust
        )["Role"]["Arn"]
        for engine in ("loki", "tempo")
    ]
    for engine in ("loki", "tempo"):
        iam.create_role(
            RoleName=f"shared-obs-{engine}-role-{suffix}", AssumeRolePolicyDocument=trust
        )
    replicas, primaries = {}, {}
    s3_us, s3_eu = client("s3", "us-east-1"), client("s3", "eu-west-1")
    for role in ROLES:
        replica = f"shared-obs-{role}-replica-bucket-{suffix}"
        s3_us.create_bucket(Bucket=replica)
        s3_us.put_bucket_policy(
            Bucket=replica, Policy=tls_only_policy(f"arn:aws:s3:::{replica}", writers)
        )
        replicas[role] = replica
        primary = f"shared-obs-{role}-bucket-{suffix}"
        s3_eu.create_bucket(
            Bucket=primary, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        s3_eu.put_bucket_policy(Bucket=primary, Policy=tls_only_policy(f"arn:aws:s3:::{primary}"))
        primaries[role] = primary
    decoy = "shared-obs-loki-chunks-replica-bucket-old-copy"
    s3_us.create_bucket(Bucket=decoy)
    s3_us.put_bucket_policy(Bucket=decoy, Policy=tls_only_policy(f"arn:aws:s3:::{decoy}", writers))
    return {"replicas": replicas, "primaries": primaries, "writers": writers, "decoy": decoy}


def _reset_moto(endpoint: str) -> None:
    """Start from an empty moto (the server lives for the module; names repeat across tests)."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def _policy(bucket: str, region: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        client("s3", region).get_bucket_policy(Bucket=bucket)["Policy"]
    )
    return document


def _sids(bucket: str, region: str = "us-east-1") -> list[str]:
    return [s["Sid"] for s in _policy(bucket, region)["Statement"]]


@pytest.fixture
def requests_sent(monkeypatch: pytest.MonkeyPatch, stubs: Stubs) -> list[tuple[str, str, str]]:
    """Every request the command sends, as ``(service, region, operation)`` (moto's and the
    stubbed ones)."""
    sent: list[tuple[str, str, str]] = []
    routed = AwsContext._make_client

    def make(self: AwsContext, service: str, region: str) -> Any:
        made = routed(self, service, region)

        def record(model: Any, **_kwargs: Any) -> None:
            sent.append((service, region, model.name))

        made._real.meta.events.register("before-call", record)
        return made

    monkeypatch.setattr(AwsContext, "_make_client", make)
    original_stubbed = stubs.stubbed

    def stubbed(service: str, region: str, op: str) -> Any:
        sent.append((service, region, op))
        return original_stubbed(service, region, op)

    monkeypatch.setattr(stubs, "stubbed", stubbed)
    return sent


@pytest.fixture(scope="module")
def shared_plan() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(shared_account_plan_json().read_text(encoding="utf-8"))
    return data


def test_the_example_plan_has_the_stacks_dr_entry(shared_plan: dict[str, Any]) -> None:
    (entry,) = shared_plan["dr"]
    stack = next(r for r in shared_plan["resources"] if r["urn"] == entry["component"])
    assert (stack["type"], stack["name"]) == (
        "obs-platform:observability:ObservabilityStack",
        "shared-obs",
    )
    assert (entry["primary_region"], entry["standby_region"]) == ("eu-west-1", "us-east-1")
    assert entry["rto_seconds"] < entry["rto_target_seconds"]


def test_stack_failover_and_failback_move_grafanas_database_and_keep_the_standby_up(
    stubs: Stubs,
    requests_sent: list[tuple[str, str, str]],
    shared_plan: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _reset_moto(stubs.endpoint)
    plan = json.loads(json.dumps(shared_plan))
    # The drain wait before the replicas are read-only again comes from the plan's entry.
    plan["dr"][0]["telemetry_rpo"]["drain_seconds"] = 0
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(plan))
    checks = _build_example_world(shared_plan)
    world = _storage("1a2b3c4")
    replicas, primaries = world["replicas"], world["primaries"]
    before = {role: _policy(primaries[role], "eu-west-1") for role in ROLES}
    read_only = {role: _policy(replicas[role], "us-east-1") for role in ROLES}
    # Tempo's bucket is writable already (an earlier, interrupted run): that step finds it.
    tls_only = json.loads(tls_only_policy(f"arn:aws:s3:::{replicas['tempo-traces']}"))
    client("s3", "us-east-1").put_bucket_policy(
        Bucket=replicas["tempo-traces"], Policy=json.dumps(tls_only)
    )
    gate = checks["shared-obs-ingest-primary-gate"]
    gc_id = GLOBAL_DB
    _queue_switch(stubs, gate, (True, True, False), "us-east-1")  # preflight, poll, closed
    code, out, err = run_cli(
        capsys, "dr", "failover", "--plan", str(plan_file), "--poll-seconds", "0", "--json"
    )
    assert code == 0, err
    result = json.loads(out)
    assert [s["id"] for s in result["steps"]] == [
        "preflight",
        "promote:us-east-1/loki-chunks",
        "promote:us-east-1/loki-ruler",
        "promote:us-east-1/tempo-traces",
        "scale:us-east-1/shared-obs-dr-eks:shared-obs-dr-system",
        "database:switchover",
        "wait:database",
        "wait:node-groups",
        "wait:health",
    ]
    assert stubs.called("switchover_global_cluster")[0]["GlobalClusterIdentifier"] == gc_id
    assert writer_of(gc_id) == "us-east-1"
    outcomes = {s["id"]: s["outcome"] for s in result["steps"]}
    assert [outcomes[f"promote:us-east-1/{role}"] for role in ROLES] == ["ran", "ran", "already"]
    # Promoted: the Deny is gone from every replica, the TLS statements stay; the decoy and
    # the primary's buckets are untouched.
    for role in ROLES:
        assert _sids(replicas[role]) == ["DenyInsecureTransport", "DenyOutdatedTls"]
        assert _policy(primaries[role], "eu-west-1") == before[role]
    assert _sids(world["decoy"])[-1] == READ_ONLY_SID
    # Statically stable: no IAM request at all (its control plane is in us-east-1), and the
    # S3 requests go to the standby's region only.
    assert not [r for r in requests_sent if r[0] == "iam"]
    s3_requests = [r for r in requests_sent if r[0] == "s3"]
    assert {r[1] for r in s3_requests} == {"us-east-1"}
    assert {r[2] for r in s3_requests} == {"ListBuckets", "GetBucketPolicy", "PutBucketPolicy"}
    assert [r[2] for r in s3_requests].count("PutBucketPolicy") == 2
    # Each replica bucket's name is looked up once for the run (preflight, step, check).
    assert [r[2] for r in s3_requests].count("ListBuckets") == len(ROLES)
    # The standby's system group goes to the primary's size (3), from its idle 2.
    assert nodegroup_scaling("us-east-1", "shared-obs-dr-eks", "shared-obs-dr-system") == {
        "minSize": 3,
        "desiredSize": 3,
        "maxSize": 6,
    }
    assert result["rto_budget_seconds"] == shared_plan["dr"][0]["rto_seconds"]
    # Back: the standby's group returns to the size the plan configures (2), not to zero,
    # with no --idle-size. The old primary's lag (CloudWatch is stubbed here, as for the gate).
    stubs.respond(
        "cloudwatch",
        "get_metric_statistics",
        {"Datapoints": [{"Timestamp": dt.datetime(2026, 1, 1), "Maximum": 120.0}]},
        None,
    )
    # The ruler's Deny is back already (an earlier, interrupted failback): that step finds it.
    client("s3", "us-east-1").put_bucket_policy(
        Bucket=replicas["loki-ruler"], Policy=json.dumps(read_only["loki-ruler"])
    )
    # The gate opens once eu-west-1 is the writer again.
    _queue_switch(stubs, gate, (False, False, True), "eu-west-1")
    code, out, err = run_cli(
        capsys, "dr", "failback", "--plan", str(plan_file), "--poll-seconds", "0", "--json"
    )
    assert code == 0, err
    result = json.loads(out)
    assert [s["id"] for s in result["steps"]][-5:] == [
        "wait:storage-drain",
        "demote:us-east-1/loki-chunks",
        "demote:us-east-1/loki-ruler",
        "demote:us-east-1/tempo-traces",
        "scale-down:us-east-1/shared-obs-dr-eks:shared-obs-dr-system",
    ]
    outcomes = {s["id"]: s["outcome"] for s in result["steps"]}
    assert [outcomes[f"demote:us-east-1/{role}"] for role in ROLES] == ["ran", "already", "ran"]
    assert writer_of(gc_id) == "eu-west-1"
    # Demoted: each replica's policy is again what the program deploys, exactly.
    for role in ROLES:
        assert _policy(replicas[role], "us-east-1") == read_only[role]
        assert _policy(primaries[role], "eu-west-1") == before[role]
    (deny,) = [s for s in read_only["loki-chunks"]["Statement"] if s["Sid"] == READ_ONLY_SID]
    assert deny["Condition"] == {"ArnEquals": {"aws:PrincipalArn": sorted(world["writers"])}}
    assert nodegroup_scaling("us-east-1", "shared-obs-dr-eks", "shared-obs-dr-system") == {
        "minSize": 2,
        "desiredSize": 2,
        "maxSize": 6,
    }


def test_stack_failback_keeps_the_standby_at_its_idle_size(
    shared_plan: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # No --idle-size: the standby's system group returns to the size the plan configures.
    plan = json.loads(json.dumps(shared_plan))
    group = next(r for r in plan["resources"] if r["name"] == "shared-obs-dr-system")
    assert group["inputs"]["scalingConfig"]["desiredSize"] == 2
    group["inputs"]["scalingConfig"]["desiredSize"] = 4  # the plan's figure, not a constant
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(plan))
    code, out, err = run_cli(capsys, "dr", "failback", "--plan", str(plan_file), "--dry-run")
    assert code == 0, err
    assert "switch global cluster shared-obs-grafana-global over to eu-west-1 (RPO 0)" in out
    assert (
        "return node group shared-obs-dr-eks:shared-obs-dr-system to its pilot-light size (4)"
        in out
    )
    # An explicit size other than zero is the operator's.
    code, out, err = run_cli(
        capsys, "dr", "failback", "--plan", str(plan_file), "--idle-size", "3", "--dry-run"
    )
    assert code == 0, err
    assert "shared-obs-dr-eks:shared-obs-dr-system to its pilot-light size (3)" in out


def test_stack_failback_refuses_idle_size_zero(
    shared_plan: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(shared_plan))
    code, out, err = run_cli(
        capsys, "dr", "failback", "--plan", str(plan_file), "--idle-size", "0", "--dry-run"
    )
    assert code == 2
    assert out == ""
    assert "--idle-size 0 would scale node group shared-obs-dr-eks:shared-obs-dr-system" in err
    assert "cannot page" in err
    assert "leave out --idle-size (the plan's idle size, 2)" in err


def test_stack_dry_runs_show_promotion_first_and_demotion_after_the_drain(
    shared_plan: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(shared_plan))
    code, out, err = run_cli(capsys, "dr", "failover", "--plan", str(plan_file), "--dry-run")
    assert code == 0, err
    planned = out.split("failover (unplanned")[0]
    assert planned.index("promote:us-east-1/tempo-traces") < planned.index("database:switchover")
    assert (
        "promote:us-east-1/loki-chunks: let Loki and Tempo in us-east-1 write to "
        "shared-obs-loki-chunks-replica-bucket: remove statement "
        "ObsPlatformReadOnlyUntilPromoted from its bucket policy (us-east-1)"
    ) in planned
    assert "attach" not in out and "role policy" not in out
    code, out, err = run_cli(capsys, "dr", "failback", "--plan", str(plan_file), "--dry-run")
    assert code == 0, err
    drain = shared_plan["dr"][0]["telemetry_rpo"]["drain_seconds"]
    assert f"wait:storage-drain: wait {drain} s after ingest left us-east-1" in out
    assert (
        "demote:us-east-1/loki-ruler: make shared-obs-loki-ruler-replica-bucket in us-east-1 "
        "read-only again for shared-obs-dr-loki-role, shared-obs-dr-tempo-role: put statement "
        "ObsPlatformReadOnlyUntilPromoted back into its bucket policy"
    ) in out
    assert out.index("wait:storage-drain") < out.index("demote:us-east-1/loki-chunks")
    assert out.index("demote:us-east-1/tempo-traces") < out.index("scale-down:us-east-1/")
    code, out, err = run_cli(
        capsys,
        "dr",
        "failback",
        "--plan",
        str(plan_file),
        "--keep-storage-writable",
        "--dry-run",
    )
    assert code == 0, err
    assert "demote:" not in out and "storage-drain" not in out


def test_a_standby_promoted_by_pulumi_is_left_to_pulumi(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # StandbyStackArgs(promoted=True): the replicas' policies have no Deny in the plan, so the
    # command neither removes nor restores it (a restore would be undone by the next deploy).
    from test_standby_stack import _plan

    promoted = _plan(standby={"promoted": True})
    for policy in promoted.by_type("aws:s3/bucketPolicy:BucketPolicy"):
        assert READ_ONLY_SID not in policy.inputs["policy"]
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(promoted.dumps())
    for direction in ("failover", "failback"):
        code, out, err = run_cli(capsys, "dr", direction, "--plan", str(plan_file), "--dry-run")
        assert code == 0, err
        assert "promote:" not in out and "demote:" not in out and "storage-drain" not in out
    passive = _plan()
    plan_file.write_text(passive.dumps())
    code, out, err = run_cli(capsys, "dr", "failover", "--plan", str(plan_file), "--dry-run")
    assert code == 0, err
    assert "promote:us-east-1/loki-chunks" in out and "shared-loki-chunks-replica-bucket" in out


def test_bucket_policy_actions_handle_a_bucket_without_a_policy(aws_env: str) -> None:
    from obs_platform.ops import actions

    _reset_moto(aws_env)
    aws = AwsContext()
    s3 = client("s3", "us-east-1")
    s3.create_bucket(Bucket="shared-obs-loki-ruler-replica-bucket-9f8e7d6")
    s3.create_bucket(Bucket="shared-obs-loki-ruler-replica-bucket-9f8e7d6x")
    ref = ReadOnlyBucketRef(
        "us-east-1", "shared-obs-loki-ruler-replica-bucket", "loki-ruler", ("r",)
    )
    bucket = actions.resolve_bucket(aws, ref)
    assert bucket == "shared-obs-loki-ruler-replica-bucket-9f8e7d6"
    assert actions.get_bucket_policy(aws, bucket, "us-east-1") is None
    deny = read_only_statement(f"arn:aws:s3:::{bucket}", ["arn:aws:iam::123456789012:role/r"])
    actions.put_bucket_policy(
        aws, bucket, "us-east-1", {"Version": "2012-10-17", "Statement": [deny]}
    )
    assert _sids(bucket) == [READ_ONLY_SID]
    # No statement left: the policy is deleted rather than written empty.
    actions.put_bucket_policy(aws, bucket, "us-east-1", {"Statement": []})
    assert actions.get_bucket_policy(aws, bucket, "us-east-1") is None
    missing = ReadOnlyBucketRef("us-east-1", "shared-obs-nothing-bucket", "nothing", ())
    with pytest.raises(OpsError, match="no S3 bucket named shared-obs-nothing-bucket"):
        actions.resolve_bucket(aws, missing)


def test_a_throttled_promotion_stops_resumable_and_the_rerun_finishes_it(
    stubs: Stubs, shared_plan: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _reset_moto(stubs.endpoint)
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(shared_plan))
    checks = _build_example_world(shared_plan)
    replicas = _storage("5e6f7a8")["replicas"]
    # The first replica's PutBucketPolicy is throttled: the run stops there, nothing after it.
    stubs.fail("s3", "put_bucket_policy", "SlowDown", "Please reduce your request rate.")
    code, _, err = run_cli(capsys, "dr", "failover", "--plan", str(plan_file))
    assert code == 3
    assert "AWS throttled s3 put_bucket_policy in us-east-1 (SlowDown)" in err
    assert "re-run the same command to resume from 'promote:us-east-1/loki-chunks'" in err
    assert all(_sids(replicas[role])[-1] == READ_ONLY_SID for role in ROLES)
    assert writer_of(GLOBAL_DB) == "eu-west-1"
    _queue_switch(stubs, checks["shared-obs-ingest-primary-gate"], (True, True, False), "us-east-1")
    code, out, err = run_cli(
        capsys, "dr", "failover", "--plan", str(plan_file), "--poll-seconds", "0", "--json"
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["resumed"] is True
    outcomes = {s["id"]: s["outcome"] for s in result["steps"]}
    assert [outcomes[f"promote:us-east-1/{role}"] for role in ROLES] == ["ran", "ran", "ran"]
    assert all(READ_ONLY_SID not in _sids(replicas[role]) for role in ROLES)
    assert writer_of(GLOBAL_DB) == "us-east-1"
