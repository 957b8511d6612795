"""Rendering a plan: the DR budget lines, in the RTO formula's order, with verdicts."""

from __future__ import annotations

from obs_platform.testing import Plan, PlanResource
from obs_platform.testing.render import render_plan

STACK = "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev"


def _plan(rto: int, rpo: int) -> Plan:
    budget = {
        "primary_region": "eu-west-1",
        "standby_region": "us-east-1",
        "rto_seconds": rto,
        "rto_target_seconds": 300,
        "rpo_seconds": rpo,
        "rpo_target_seconds": 60,
        "terms": {
            "kafka_lag_seconds": 30,
            "orchestration_seconds": 70,
            "dns_seconds": 60,
            "compute_seconds": 65,
            "detection_seconds": 30,
            "database_seconds": 60,
        },
    }
    stack = PlanResource(
        urn=STACK,
        type="pulumi:pulumi:Stack",
        name="p-dev",
        parent=None,
        custom=False,
        provider=None,
        region=None,
        inputs={},
    )
    dr = PlanResource(
        urn="urn:pulumi:dev::p::obs-platform:dr:PilotLightDr::app",
        type="obs-platform:dr:PilotLightDr",
        name="app",
        parent=STACK,
        custom=False,
        provider=None,
        region=None,
        inputs={},
        outputs={"budget": budget},
    )
    return Plan(project="p", stack="dev", resources=(stack, dr), outputs={})


def test_budget_lines_follow_the_formula_then_the_rest() -> None:
    text = render_plan(_plan(165, 30))
    budget = text[text.index("DR budget") :].splitlines()
    assert budget[1:4] == [
        "  eu-west-1 -> us-east-1  (app)",
        "    RTO 165 s, target 300 s: meets",
        "    RPO 30 s, target 60 s: meets",
    ]
    assert [line.split()[0] for line in budget[4:10]] == [
        "detection_seconds",
        "dns_seconds",
        "database_seconds",
        "compute_seconds",
        "orchestration_seconds",
        "kafka_lag_seconds",
    ]


def test_a_missed_target_says_so() -> None:
    text = render_plan(_plan(420, 75))
    assert "    RTO 420 s, target 300 s: MISSES" in text
    assert "    RPO 75 s, target 60 s: MISSES" in text
    assert _plan(420, 75).to_json()["dr"][0]["rto_seconds"] == 420
