"""Step planning (pure): order, consent to data loss, budget terms, node-group sizing."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from obs_platform.ops import (
    Direction,
    DrTargets,
    Engine,
    HealthCheckRef,
    Mode,
    NodeGroupRef,
    OperationSpec,
    OpsError,
    RtoBudget,
    StepKind,
    plan_steps,
)
from obs_platform.ops.steps import (
    WAIT_KINDS,
    budget_seconds,
    check_consent,
    scale_target,
    scaled_enough,
    signature,
)

P, S = "eu-west-1", "us-east-1"
PLAN = "arn:aws:arc-region-switch::123456789012:plan/app:abc123"
FULL = DrTargets(
    P,
    S,
    "app-global",
    (
        NodeGroupRef(S, "app-use1", "workers"),
        NodeGroupRef(S, "app-use1", "system"),
        NodeGroupRef(P, "app-euw1", "workers"),
    ),
    (HealthCheckRef("hc-s", S), HealthCheckRef("hc-p", P)),
    None,
    PLAN,
    RtoBudget(
        150,
        300,
        {
            "detection_seconds": 30,
            "database_seconds": 60,
            "compute_seconds": 120,
            "dns_seconds": 60,
        },
    ),
)


def ids(spec: OperationSpec, targets: DrTargets = FULL) -> list[str]:
    return [s.step_id for s in plan_steps(spec, targets)]


def test_planned_failover_direct_order() -> None:
    assert ids(OperationSpec(Direction.FAILOVER)) == [
        "preflight",
        "scale:us-east-1/app-use1:workers",
        "scale:us-east-1/app-use1:system",
        "database:switchover",
        "wait:database",
        "wait:node-groups",
        "wait:health",
    ]
    steps = plan_steps(OperationSpec(Direction.FAILOVER), FULL)
    assert [s.region for s in steps] == [S] * 7
    assert steps[-1].params == {"healthy": ["hc-s"], "unhealthy": [], "gates": []}
    assert not any(s.data_loss for s in steps)


def test_failback_scales_the_old_standby_down_after_recovery() -> None:
    steps = plan_steps(OperationSpec(Direction.FAILBACK, idle_size=0), FULL)
    assert [s.step_id for s in steps] == [
        "preflight",
        "scale:eu-west-1/app-euw1:workers",
        "database:switchover",
        "wait:database",
        "wait:node-groups",
        "wait:health",
        "scale-down:us-east-1/app-use1:workers",
        "scale-down:us-east-1/app-use1:system",
    ]
    assert steps[-1].params == {"cluster": "app-use1", "nodegroup": "system", "desired_size": 0}
    assert [s.counts_toward_rto for s in steps[-2:]] == [False, False]
    assert steps[-3].params == {"healthy": ["hc-p"], "unhealthy": [], "gates": []}
    kept = ids(OperationSpec(Direction.FAILBACK, scale_down_after=False))
    assert not any(i.startswith("scale-down:") for i in kept)


def test_unplanned_needs_consent_and_marks_data_loss() -> None:
    with pytest.raises(OpsError, match="does not run without consent") as info:
        plan_steps(OperationSpec(Direction.FAILOVER, Mode.UNPLANNED), FULL)
    assert info.value.exit_code == 4
    steps = plan_steps(
        OperationSpec(Direction.FAILOVER, Mode.UNPLANNED, allow_data_loss=True), FULL
    )
    db = next(s for s in steps if s.kind is StepKind.FAILOVER_DATABASE)
    assert db.step_id == "database:failover" and db.data_loss
    assert "AllowDataLoss" in db.description


def test_unplanned_failback_is_refused() -> None:
    with pytest.raises(OpsError, match="a failback is always planned") as info:
        check_consent(OperationSpec(Direction.FAILBACK, Mode.UNPLANNED, allow_data_loss=True))
    assert info.value.exit_code == 4


def test_dns_gate_turns_unhealthy_on_failover_and_healthy_on_failback() -> None:
    gated = dataclasses.replace(
        FULL, health_checks=(HealthCheckRef("hc-p", P), HealthCheckRef("gate", P, gate=True))
    )
    over = plan_steps(OperationSpec(Direction.FAILOVER), gated)[-1]
    assert over.step_id == "wait:health"
    assert over.params == {"healthy": [], "unhealthy": ["gate"], "gates": ["gate"]}
    assert "DNS gate reports unhealthy" in over.description
    back = next(
        s
        for s in plan_steps(OperationSpec(Direction.FAILBACK), gated)
        if s.step_id == "wait:health"
    )
    assert back.params == {"healthy": ["hc-p", "gate"], "unhealthy": [], "gates": ["gate"]}
    assert gated.health_checks_for(P) == (HealthCheckRef("hc-p", P),)
    assert gated.dns_gates == (HealthCheckRef("gate", P, gate=True),)


def test_region_switch_engine() -> None:
    steps = plan_steps(
        OperationSpec(
            Direction.FAILOVER, Mode.UNPLANNED, Engine.REGION_SWITCH, allow_data_loss=True
        ),
        FULL,
    )
    assert [s.step_id for s in steps] == [
        "preflight",
        "region-switch:start",
        "region-switch:wait",
        "wait:health",
    ]
    assert steps[1].params == {
        "plan_arn": PLAN,
        "mode": "ungraceful",
        "action": "activate",
        "aurora": "failover",
    }
    assert "Aurora failover with AllowDataLoss" in steps[1].description
    assert steps[1].data_loss
    graceful = plan_steps(OperationSpec(Direction.FAILOVER, engine=Engine.REGION_SWITCH), FULL)
    assert graceful[1].params["mode"] == "graceful" and not graceful[1].data_loss
    # PilotLightDr's plan switches over (switchoverOnly) in a graceful run: no data loss.
    assert graceful[1].params["aurora"] == "switchoverOnly"
    assert "Aurora switchover, no data loss" in graceful[1].description
    no_plan = dataclasses.replace(FULL, region_switch_plan_arn=None)
    with pytest.raises(OpsError, match="needs a Region switch plan"):
        plan_steps(OperationSpec(Direction.FAILOVER, engine=Engine.REGION_SWITCH), no_plan)


def test_nothing_to_do_is_an_error() -> None:
    with pytest.raises(OpsError, match="nothing to fail over"):
        plan_steps(OperationSpec(Direction.FAILOVER), DrTargets(P, S))


def test_same_regions_rejected() -> None:
    with pytest.raises(OpsError, match="both 'eu-west-1'"):
        DrTargets(P, P)


def test_budget_terms() -> None:
    steps = {s.step_id: s for s in plan_steps(OperationSpec(Direction.FAILOVER), FULL)}
    assert budget_seconds(steps["wait:database"], FULL.budget) == 60
    assert budget_seconds(steps["wait:node-groups"], FULL.budget) == 120
    assert budget_seconds(steps["wait:health"], FULL.budget) == 30
    assert budget_seconds(steps["database:switchover"], FULL.budget) is None
    assert budget_seconds(steps["wait:database"], None) is None
    rs = plan_steps(OperationSpec(Direction.FAILOVER, engine=Engine.REGION_SWITCH), FULL)
    assert budget_seconds(rs[2], FULL.budget) == 150


def test_signature_separates_operations() -> None:
    a = signature(OperationSpec(Direction.FAILOVER), FULL)
    assert a == signature(OperationSpec(Direction.FAILOVER, desired_size=4), FULL)
    assert a != signature(OperationSpec(Direction.FAILBACK), FULL)
    assert a != signature(OperationSpec(Direction.FAILOVER, Mode.UNPLANNED), FULL)
    assert a != signature(
        OperationSpec(Direction.FAILOVER), dataclasses.replace(FULL, global_cluster="other")
    )


regions = st.sampled_from(["eu-west-1", "us-east-1", "us-west-2"])
node_groups = st.lists(
    st.builds(NodeGroupRef, regions, st.sampled_from(["a", "b"]), st.sampled_from(["w", "x", "y"])),
    unique=True,
    max_size=5,
)
health = st.lists(
    st.builds(HealthCheckRef, st.sampled_from(["h1", "h2", "h3"]), st.none() | regions), max_size=3
)
specs = st.builds(
    OperationSpec,
    st.sampled_from(Direction),
    st.sampled_from(Mode),
    st.sampled_from(Engine),
    st.booleans(),
    st.none() | st.integers(1, 10),
    st.integers(0, 2),
    st.booleans(),
)


@given(
    spec=specs,
    groups=node_groups,
    checks=health,
    gc=st.none() | st.just("g"),
    plan=st.none() | st.just(PLAN),
)
def test_plan_invariants(
    spec: OperationSpec,
    groups: list[NodeGroupRef],
    checks: list[HealthCheckRef],
    gc: str | None,
    plan: str | None,
) -> None:
    targets = DrTargets(P, S, gc, tuple(groups), tuple(checks), None, plan)
    try:
        steps = plan_steps(spec, targets)
    except OpsError as exc:
        # refusals are exactly the documented ones
        unplanned = spec.mode is Mode.UNPLANNED
        assert (
            (unplanned and (not spec.allow_data_loss or spec.direction is Direction.FAILBACK))
            or (spec.engine is Engine.REGION_SWITCH and plan is None)
            or (spec.engine is Engine.DIRECT and gc is None and "nothing to fail over" in str(exc))
        ), str(exc)
        return
    step_ids = [s.step_id for s in steps]
    assert len(step_ids) == len(set(step_ids))
    assert steps[0].kind is StepKind.PREFLIGHT
    # nothing that can lose data without consent, and only in unplanned mode
    assert all(spec.allow_data_loss and spec.mode is Mode.UNPLANNED for s in steps if s.data_loss)
    # every change that counts toward the RTO starts before any wait, so work runs in parallel
    rto = [s for s in steps[1:] if s.counts_toward_rto]
    first_wait = next((i for i, s in enumerate(rto) if s.kind in WAIT_KINDS), len(rto))
    assert all(s.kind in WAIT_KINDS for s in rto[first_wait:])
    # post-recovery clean-up comes last and only on a direct, EKS-scaled failback
    tail = [s for s in steps if not s.counts_toward_rto]
    assert steps[len(steps) - len(tail) :] == tail
    assert all(s.kind is StepKind.SCALE_DOWN_NODEGROUP for s in tail)
    assert not tail or spec.direction is Direction.FAILBACK
    source, target = (P, S) if spec.direction is Direction.FAILOVER else (S, P)
    assert all(s.region == target for s in rto)
    assert all(s.region == source for s in tail)


@given(
    low=st.integers(0, 20),
    desired=st.integers(0, 20),
    high=st.integers(1, 20),
    requested=st.none() | st.integers(1, 30),
    peer=st.none() | st.integers(0, 30),
)
def test_scale_target_properties(
    low: int, desired: int, high: int, requested: int | None, peer: int | None
) -> None:
    new_min, new_desired, new_max = scale_target(low, desired, high, requested, peer)
    assert new_desired >= 1
    assert new_min == max(low, new_desired)
    assert new_max == max(high, new_desired) >= new_desired
    if requested is not None:
        assert new_desired == requested
    elif peer:
        assert new_desired == peer
    assert scaled_enough((new_min, new_desired, new_max), (new_min, new_desired, new_max))


def test_scale_target_examples() -> None:
    assert scale_target(0, 0, 6, None, 3) == (3, 3, 6)
    assert scale_target(0, 0, 6, None, None) == (6, 6, 6)
    assert scale_target(0, 0, 2, 4, None) == (4, 4, 4)
    with pytest.raises(OpsError, match="negative"):
        scale_target(0, 0, 2, -1, None)
    assert not scaled_enough((0, 0, 6), (3, 3, 6))
    assert scaled_enough((3, 5, 6), (3, 3, 6))
