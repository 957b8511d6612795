"""The RTO/RPO budget model: exact figures, findings and properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from obs_platform import ArgsError
from obs_platform._internal.rto import (
    DrTimingConfig,
    KafkaReplicationMode,
    TimingAssumptions,
    compute_budget,
)

FIVE_MINUTES = 300


def test_default_budget_figures() -> None:
    budget = compute_budget(DrTimingConfig())
    assert budget.terms == {
        "detection_seconds": 30,
        "dns_seconds": 60,
        "database_seconds": 60,
        # ARC raises the ASG: 20 s launch + 45 s to Ready, then 20 s pods (no autoscaler).
        "compute_seconds": 85,
        "orchestration_seconds": 70,
        "database_lag_seconds": 1.0,
        "kafka_lag_seconds": 0.0,
        "add_instance_seconds": 0,
        "cluster_create_seconds": 0,
    }
    assert budget.rto_seconds == 185
    assert budget.rpo_seconds == 1.0
    assert budget.meets_targets and budget.findings == () and budget.explain() == ""


def test_as_output_shape() -> None:
    out = compute_budget(DrTimingConfig(kafka=KafkaReplicationMode.MSK_REPLICATOR)).as_output(
        "eu-west-1", "us-east-1"
    )
    assert out["primary_region"] == "eu-west-1" and out["standby_region"] == "us-east-1"
    assert out["rto_seconds"] == 185 and isinstance(out["rto_seconds"], int)
    assert out["rpo_seconds"] == 30 and out["rpo_target_seconds"] == 60
    assert out["rto_target_seconds"] == 300
    assert set(out["terms"]) >= {
        "detection_seconds",
        "dns_seconds",
        "database_seconds",
        "compute_seconds",
        "orchestration_seconds",
    }


def test_headless_secondary_misses_and_says_why() -> None:
    budget = compute_budget(DrTimingConfig(headless_secondary=True))
    assert budget.terms["database_seconds"] == 960
    assert budget.terms["add_instance_seconds"] == 900
    assert not budget.meets_rto
    assert budget.findings[0].term == "database_seconds"
    assert "standby_instances >= 1" in budget.explain()


def test_missing_standby_cluster_misses() -> None:
    budget = compute_budget(DrTimingConfig(standby_cluster_exists=False))
    assert budget.terms["compute_seconds"] == 900 + 20 + 45 + 20
    assert budget.terms["cluster_create_seconds"] == 900
    assert budget.findings[0].term == "compute_seconds"
    assert "pre-provision the standby cluster" in budget.explain()


def test_manual_approval_misses() -> None:
    budget = compute_budget(DrTimingConfig(manual_approval=True))
    assert budget.terms["orchestration_seconds"] == 60 + 10 + 900
    # Without the person the budget meets (185 s), so only the structural cause is named.
    assert [f.term for f in budget.findings] == ["orchestration_seconds"]


def test_slow_detection_named_with_fix() -> None:
    budget = compute_budget(
        DrTimingConfig(
            health_check_interval_seconds=30,
            health_check_failure_threshold=10,
            alarm_evaluation_periods=3,
        )
    )
    assert budget.rto_seconds == 300 + 190 + 85
    text = budget.explain()
    # Each fix is a real setting moved towards its limit, with the RTO it gives.
    assert "health_check_interval_seconds=10 (RTO 575 -> 375 s)" in text
    # The largest threshold that meets 300 s alone would be 1 here (30 s x 1 + 190 + 85 = 305
    # still misses), so the minimum is suggested.
    assert "health_check_failure_threshold=1" in text
    assert "alarm_evaluation_periods=1 (RTO 575 -> 455 s)" in text
    # Compute (85 s) is the slowest parallel term, so warm nodes lower the RTO; DNS (60 s)
    # is not the slowest, so lowering its TTL would change nothing and is not suggested.
    assert "warm nodes" in text and "dns_ttl_seconds" not in text


def test_warm_nodes_skip_node_launch() -> None:
    assert compute_budget(DrTimingConfig(standby_warm_nodes=2)).terms["compute_seconds"] == 20


def test_alias_records_have_fixed_ttl() -> None:
    assert (
        compute_budget(DrTimingConfig(alias_records=True, dns_ttl_seconds=5)).terms["dns_seconds"]
        == 60
    )


def test_mirror_maker_default_intervals_break_rpo() -> None:
    budget = compute_budget(
        DrTimingConfig(
            kafka=KafkaReplicationMode.MIRROR_MAKER_2,
            mm2_checkpoint_interval_seconds=60,
            mm2_sync_group_offsets_interval_seconds=60,
        )
    )
    assert budget.rpo_seconds == 65
    assert not budget.meets_rpo
    assert budget.findings[0].term == "kafka_lag_seconds"
    # The DR derives the intervals from the RPO target: no setting to suggest.
    assert "no setting reaches 60 s" in budget.explain()
    assert "checkpoint_interval_seconds" not in budget.explain()


def test_global_db_rpo_bound_used() -> None:
    budget = compute_budget(DrTimingConfig(global_db_rpo_seconds=90))
    assert budget.terms["database_lag_seconds"] == 90
    assert budget.findings[0].term == "database_lag_seconds"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("aurora_add_instance_seconds", 60),
        ("eks_control_plane_create_seconds", 120),
        ("node_ready_seconds", -1),
    ],
)
def test_physical_floors_refused(field: str, value: int) -> None:
    with pytest.raises(ArgsError) as caught:
        TimingAssumptions(**{field: value})
    assert caught.value.field == f"TimingAssumptions.{field}"
    assert caught.value.value == value
    assert f"TimingAssumptions.{field} (got {value}): Input should be greater than" in str(
        caught.value
    )


def test_alarm_period_under_metric_resolution_refused() -> None:
    with pytest.raises(ArgsError, match=r"DrTimingConfig\.alarm_period_seconds \(got 10\): "):
        DrTimingConfig(alarm_period_seconds=10)


# --- properties ---------------------------------------------------------------------------

assumptions = st.builds(
    TimingAssumptions,
    aurora_failover_seconds=st.integers(1, 600),
    aurora_add_instance_seconds=st.integers(300, 3600),
    eks_control_plane_create_seconds=st.integers(600, 1800),
    node_ready_seconds=st.integers(0, 600),
    pod_ready_seconds=st.integers(0, 600),
    plan_start_seconds=st.integers(0, 300),
    manual_approval_seconds=st.integers(0, 3600),
)
configs = st.builds(
    DrTimingConfig,
    health_check_interval_seconds=st.sampled_from([10, 30]),
    health_check_failure_threshold=st.integers(1, 10),
    dns_ttl_seconds=st.integers(0, 300),
    alias_records=st.booleans(),
    alarm_evaluation_periods=st.integers(1, 5),
    manual_approval=st.booleans(),
    rds_global=st.booleans(),
    headless_secondary=st.booleans(),
    standby_cluster_exists=st.booleans(),
    standby_warm_nodes=st.integers(0, 3),
    kafka=st.sampled_from(list(KafkaReplicationMode)),
    assumptions=assumptions,
)

GROWERS = [
    ("health_check_failure_threshold", 1, 10, None),
    ("alarm_evaluation_periods", 1, 5, None),
    ("dns_ttl_seconds", 1, 300, None),
    ("node_ready_seconds", 1, 600, "assumptions"),
    ("pod_ready_seconds", 1, 600, "assumptions"),
    ("plan_start_seconds", 1, 300, "assumptions"),
    ("aurora_failover_seconds", 1, 600, "assumptions"),
]


@settings(max_examples=150, deadline=None)
@given(config=configs, which=st.sampled_from(GROWERS), step=st.integers(1, 120))
def test_budget_grows_with_each_term(config: DrTimingConfig, which: tuple, step: int) -> None:
    name, _low, high, where = which
    if where == "assumptions":
        old = getattr(config.assumptions, name)
        bigger = config.model_copy(
            update={
                "assumptions": config.assumptions.model_copy(update={name: min(old + step, high)})
            }
        )
    else:
        old = getattr(config, name)
        bigger = config.model_copy(update={name: min(old + step, high)})
    before, after = compute_budget(config), compute_budget(bigger)
    assert after.rto_seconds >= before.rto_seconds
    assert sum(after.terms.values()) >= sum(before.terms.values())
    if (
        name in ("health_check_failure_threshold", "alarm_evaluation_periods", "plan_start_seconds")
        and min(old + step, high) > old
    ):
        assert after.rto_seconds > before.rto_seconds


@settings(max_examples=200, deadline=None)
@given(config=configs)
def test_headless_secondary_never_meets_five_minutes(config: DrTimingConfig) -> None:
    headless = config.model_copy(
        update={"rds_global": True, "headless_secondary": True, "rto_target_seconds": FIVE_MINUTES}
    )
    budget = compute_budget(headless)
    assert budget.rto_seconds >= FIVE_MINUTES
    assert not budget.meets_rto
    assert any(f.term == "database_seconds" for f in budget.findings)


@settings(max_examples=200, deadline=None)
@given(config=configs)
def test_missing_standby_cluster_never_meets_five_minutes(config: DrTimingConfig) -> None:
    missing = config.model_copy(
        update={"standby_cluster_exists": False, "rto_target_seconds": FIVE_MINUTES}
    )
    budget = compute_budget(missing)
    assert not budget.meets_rto
    assert any(f.term == "compute_seconds" for f in budget.findings)


@settings(max_examples=100, deadline=None)
@given(config=configs)
def test_findings_exactly_when_missing(config: DrTimingConfig) -> None:
    budget = compute_budget(config)
    assert bool(budget.findings) == (not budget.meets_targets)
    assert budget.rto_seconds == (
        budget.terms["detection_seconds"]
        + budget.terms["orchestration_seconds"]
        + max(
            budget.terms["dns_seconds"],
            budget.terms["database_seconds"],
            budget.terms["compute_seconds"],
        )
    )


def test_no_fix_suggested_for_a_setting_at_its_limit() -> None:
    # Everything tunable is at its limit; the 150 s target is below what AWS takes.
    config = DrTimingConfig(
        rto_target_seconds=150,
        health_check_interval_seconds=10,
        health_check_failure_threshold=1,
        alarm_evaluation_periods=1,
        dns_ttl_seconds=60,
        standby_warm_nodes=1,
    )
    budget = compute_budget(config)
    assert budget.rto_seconds == 10 + 70 + 60
    assert budget.meets_rto  # 140 < 150
    tight = compute_budget(config.model_copy(update={"rto_target_seconds": 140}))
    text = tight.explain()
    assert "threshold" not in text.split("no setting")[0]
    assert [f.term for f in tight.findings] == ["rto_seconds"]
    assert "no setting reaches 140 s" in text
    assert "raise rto_target_seconds above 140" in text


def test_nodes_without_the_plan_step_need_a_person() -> None:
    budget = compute_budget(DrTimingConfig(nodes_scaled_by_plan=False))
    assert budget.terms["compute_seconds"] == 20 + 45 + 900 + 20
    assert budget.findings[0].term == "compute_seconds"
    assert "node_group_asg_arn" in budget.findings[0].fix
    warm = compute_budget(DrTimingConfig(nodes_scaled_by_plan=False, standby_warm_nodes=2))
    assert warm.terms["compute_seconds"] == 20 and warm.meets_rto


@settings(max_examples=150, deadline=None)
@given(config=configs)
def test_every_suggested_fix_lowers_the_budget(config: DrTimingConfig) -> None:
    budget = compute_budget(config)
    for finding in budget.findings:
        if "(RTO " in finding.fix:
            before, after = finding.fix.rsplit("(RTO ", 1)[1].rstrip(" s)").split(" -> ")
            assert float(after) < float(before)
