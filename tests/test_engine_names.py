"""The engine refuses what ``pulumi preview`` refuses: duplicate URNs and impossible names."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest

from conftest import app_cells_stack_outputs, docker_hub_credential
from obs_platform import Cell, CellArgs
from obs_platform._internal.aws_names import (
    NAME_RULES,
    NameBudget,
    autoname,
    name_problems,
    rule_for,
)
from obs_platform.testing import ProgramError, run, run_program
from obs_platform.testing._checks import PlanRefusedError

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CELL_SEED = {
    "region": "eu-west-1",
    "vpc_cidr": "10.16.0.0/20",
    "docker_hub_credential_arn": docker_hub_credential("eu-west-1"),
}


def _refusal(program, **kwargs) -> PlanRefusedError:
    with pytest.raises(ProgramError) as caught:
        run(program, config={"aws:region": "eu-west-1"}, **kwargs)
    assert isinstance(caught.value.original, PlanRefusedError), caught.value.original
    return caught.value.original


# --- duplicate URNs -------------------------------------------------------------------------


def test_two_resources_with_one_urn_fail_naming_both_sites() -> None:
    def program() -> None:
        aws.s3.Bucket("logs")  # first site
        aws.s3.Bucket("logs")  # second site

    error = _refusal(program)
    message = str(error)
    assert message.startswith(
        "Duplicate resource URN 'urn:pulumi:dev::project::pulumi:pulumi:Stack"
        "$aws:s3/bucket:Bucket::logs'; try giving it a unique name."
    )
    lines = re.findall(r"test_engine_names\.py:(\d+)", message)
    assert len(lines) == 2 and lines[0] != lines[1], message
    assert "Fix: Give each resource" in message


def test_two_cells_in_one_region_fail() -> None:
    def program() -> None:
        Cell("eu-west-1", CellArgs(**CELL_SEED))
        Cell("eu-west-1", CellArgs(**CELL_SEED))

    error = _refusal(program)
    assert (
        "Duplicate resource URN 'urn:pulumi:dev::project::pulumi:pulumi:Stack"
        "$obs-platform:cell:Cell::eu-west-1'" in str(error)
    )
    assert str(error).count("test_engine_names.py:") == 2


def test_same_name_different_types_is_fine() -> None:
    def program() -> None:
        aws.s3.Bucket("logs")
        aws.sns.Topic("logs")

    plan = run(program, config={"aws:region": "eu-west-1"})
    assert {r.type for r in plan if r.name == "logs"} == {
        "aws:s3/bucket:Bucket",
        "aws:sns/topic:Topic",
    }


# --- auto-naming ----------------------------------------------------------------------------


def test_autoname_too_long_fails_with_pulumis_message() -> None:
    def program() -> None:
        aws.lb.TargetGroup("eu-west-1-ingress-targets", port=80, protocol="TCP", vpc_id="vpc-1")

    message = str(_refusal(program))
    assert (
        "could not make instance of 'aws:lb/targetGroup:TargetGroup': name "
        "'eu-west-1-ingress-targets-' plus 7 random chars is longer than maximum length 32"
    ) in message
    assert "logical name 'eu-west-1-ingress-targets', 25 characters" in message
    assert "at most 24 characters" in message
    assert "provider/aliases.go" in message


def test_autoname_that_fits_is_answered_in_full() -> None:
    def program() -> None:
        aws.lb.TargetGroup("eu-west-1-tg", port=80, protocol="TCP", vpc_id="vpc-1")
        aws.lb.LoadBalancer("eu-west-1-ingress", load_balancer_type="network", internal=True)

    plan = run(program, config={"aws:region": "eu-west-1"})
    group = plan.get("eu-west-1-tg").outputs
    assert re.fullmatch(r"eu-west-1-tg-[0-9a-f]{7}", group["name"])
    assert f"targetgroup/{group['name']}/" in group["arn"]
    balancer = plan.get("eu-west-1-ingress").outputs
    name = re.search(r"loadbalancer/net/([^/]+)/", balancer["arn"]).group(1)
    assert re.fullmatch(r"eu-west-1-ingress-[0-9a-f]{7}", name)
    assert balancer["dnsName"].startswith(f"internal-{name}-")


def test_load_balancer_autoname_over_32_fails_with_terraform_message() -> None:
    # pulumi-aws budgets 255 for aws_lb; terraform-provider-aws's validName refuses > 32.
    def program() -> None:
        aws.lb.LoadBalancer("observability-platform-ingest", load_balancer_type="network")

    message = str(_refusal(program))
    assert message.startswith(
        "aws:lb/loadBalancer:LoadBalancer resource 'observability-platform-ingest' has a "
        'problem: "name" cannot be longer than 32 characters.'
    )
    assert "Examine values at 'observability-platform-ingest.name'" in message


def test_bucket_autoname_is_lowercased_like_pulumi_aws() -> None:
    def program() -> None:
        aws.s3.Bucket("Logs")

    bucket = run(program, config={"aws:region": "eu-west-1"}).get("Logs").outputs["bucket"]
    assert re.fullmatch(r"logs-[0-9a-f]{7}", bucket)


def test_uppercase_ecr_autoname_fails_as_aws_would() -> None:
    def program() -> None:
        aws.ecr.Repository("Grafana")

    message = str(_refusal(program))
    assert "aws:ecr/repository:Repository resource 'Grafana' has a problem" in message
    assert "lowercase" in message


def test_explicit_names_are_checked_against_the_same_table() -> None:
    def program() -> None:
        aws.rds.Cluster(
            "db", cluster_identifier="Payments_DR-eu-west-1", engine="aurora-postgresql"
        )

    message = str(_refusal(program))
    assert "aws:rds/cluster:Cluster resource 'db' has a problem" in message
    assert 'only lowercase alphanumeric characters and hyphens allowed in "clusterIdentifier"' in (
        message
    )
    assert "given 'Payments_DR-eu-west-1'" in message


def test_explicit_name_too_long() -> None:
    def program() -> None:
        aws.arcregionswitch.Plan(
            "dr",
            name="payments-platform-eu-region-switch",
            execution_role="arn:aws:iam::111111111111:role/x",
            recovery_approach="activePassive",
            regions=["eu-west-1", "us-east-1"],
            workflows=[],
        )

    message = str(_refusal(program))
    assert '"name" cannot be longer than 32 characters' in message


def test_unknown_name_is_not_checked() -> None:
    def program() -> None:
        loop = asyncio.get_event_loop()

        def resolved(value: object) -> asyncio.Future[object]:
            future = loop.create_future()
            future.set_result(value)
            return future

        # Known only after deploy (as in a preview): the provider checks it then.
        unknown = pulumi.Output(set(), resolved("Not-Known-Yet"), resolved(False))
        aws.ecr.Repository("repo", name=unknown)

    run(program, config={"aws:region": "eu-west-1"})


# --- the table ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example_plans():
    return [
        run_program(EXAMPLES / "shared-account"),
        run_program(EXAMPLES / "app-cells", stack_outputs=app_cells_stack_outputs()),
    ]


def test_every_aws_type_in_the_examples_has_a_row(example_plans) -> None:
    types = {r.type for plan in example_plans for r in plan if r.type.startswith("aws:")}
    missing = sorted(t for t in types if rule_for(t) is None)
    assert not missing, f"add rows to obs_platform._internal.aws_names.NAME_RULES: {missing}"


def test_every_row_names_its_source() -> None:
    for token, rule in NAME_RULES.items():
        assert rule.source, token
        assert token == rule.type_token
        if rule.attribute is not None:
            assert re.search(r"pulumi-aws|terraform-provider-aws|botocore", rule.source), token


def test_rows_match_pulumi_aws_mapping() -> None:
    assert NAME_RULES["aws:lb/targetGroup:TargetGroup"].autoname_max == 32
    assert NAME_RULES["aws:iam/role:Role"].autoname_max == 64
    assert NAME_RULES["aws:s3/bucket:Bucket"].lowercase is True
    assert NAME_RULES["aws:kms/alias:Alias"].prefix == "alias/"
    assert NAME_RULES["aws:rds/cluster:Cluster"].autonamed is False
    kms = NAME_RULES["aws:kms/alias:Alias"]
    assert autoname(kms, "shared-obs-loki", "abcdef0") == "alias/shared-obs-loki-abcdef0"


def test_example_physical_names_pass_every_row(example_plans) -> None:
    checked = 0
    for plan in example_plans:
        for resource in plan:
            rule = rule_for(resource.type)
            if rule is None or rule.attribute is None:
                continue
            name = resource.inputs.get(rule.attribute) or resource.outputs.get(rule.attribute)
            if isinstance(name, str) and name not in ("[unknown]", "[secret]"):
                assert not name_problems(rule, name), (resource.urn, name)
                checked += 1
    assert checked > 40


def test_target_groups_renamed_with_aliases(example_plans) -> None:
    shared, cells = example_plans
    stack = "urn:pulumi:dev::shared-account::obs-platform:observability:ObservabilityStack"
    for role, short in (("remote-write", "rw"), ("loki-push", "loki"), ("grafana", "grafana")):
        group = shared.get(f"shared-obs-tg-{short}", "aws:lb/targetGroup:TargetGroup")
        assert f"{stack}$aws:lb/targetGroup:TargetGroup::shared-obs-ingest-{role}" in group.aliases
    cell = "urn:pulumi:dev::app-cells::obs-platform:cell:Cell"
    group = cells.get("eu-west-1-tg", "aws:lb/targetGroup:TargetGroup")
    assert f"{cell}$aws:lb/targetGroup:TargetGroup::eu-west-1-ingress-targets" in group.aliases
    assert len(group.outputs["name"]) == len("eu-west-1-tg-") + 7 <= 32


def test_budget_of_a_child_name() -> None:
    budget = NameBudget("aws:lb/targetGroup:TargetGroup", "{name}-ingress-tg")
    assert budget.longest_name() == 32 - 8 - len("-ingress-tg")
    assert budget.problems("eu-west-1") == []
    assert "plus 7 random chars" in budget.problems("ap-southeast-10")[0]
    explicit = NameBudget("aws:arcregionswitch/plan:Plan", "{name}-region-switch", explicit=True)
    assert explicit.longest_name() == 32 - len("-region-switch")
    unlimited = NameBudget("aws:ram/resourceShare:ResourceShare", "{name}-share", explicit=True)
    assert unlimited.longest_name() is None


# --- component names, up front ------------------------------------------------------------

DERIVED = re.compile(r"(^|[/-]){name}($|[/-])")


def _derived_templates(plan, component):
    """Yield (type, template, explicit) of each descendant whose physical name derives from
    the component's name.

    Descendants of a nested library component (an ObservabilityStack's standby
    ``{name}-dr``) are that component's: its own name is checked against its own budget
    when it is built, so they are left to it.
    """
    nested = {
        grandchild.urn
        for inner in plan.descendants(component)
        if inner.type.startswith("obs-platform:")
        for grandchild in plan.descendants(inner)
    }
    for child in plan.descendants(component):
        if child.urn in nested:
            continue
        rule = rule_for(child.type)
        if rule is None or rule.attribute is None:
            continue
        value = child.inputs.get(rule.attribute)
        if isinstance(value, str):
            name, explicit = value, True
        elif rule.autonamed and rule.attribute not in child.inputs:
            name, explicit = child.name, False
        else:
            continue
        pattern = re.compile(DERIVED.pattern.replace("{name}", re.escape(component.name)))
        if pattern.search(name):
            yield child.type, pattern.sub(r"\1{name}\2", name, count=1), explicit


def test_component_budgets_cover_every_derived_child_name(example_plans) -> None:
    from obs_platform._internal.aws_names import COMPONENT_NAME_BUDGETS, longest_component_name

    checked = 0
    for plan in example_plans:
        for component in plan:
            if not component.type.startswith("obs-platform:"):
                continue
            found = longest_component_name(COMPONENT_NAME_BUDGETS[component.type])
            longest = found[0] if found else None
            for type_token, template, explicit in _derived_templates(plan, component):
                allowed = NameBudget(type_token, template, explicit).longest_name()
                assert allowed is None or (longest is not None and allowed >= longest), (
                    f"{component.type}: child {type_token} {template!r} allows only {allowed} "
                    f"characters, fewer than the {longest} COMPONENT_NAME_BUDGETS promises; "
                    "add it there"
                )
                checked += 1
    assert checked > 30


def test_too_long_stack_name_fails_before_anything_is_registered() -> None:
    from obs_platform import ObservabilityStack

    registered = []

    def program() -> None:
        aws.s3.Bucket("first")
        registered.append("bucket")
        ObservabilityStack("observability-prod", {"region": "eu-west-1"})

    with pytest.raises(ProgramError) as caught:
        run(program, config={"aws:region": "eu-west-1"})
    message = str(caught.value)
    assert message.startswith(
        "ObservabilityStack 'observability-prod': the name (18 characters) does not fit its "
        "child aws:lb/targetGroup:TargetGroup 'observability-prod-tg-grafana': name "
        "'observability-prod-tg-grafana-' plus 7 random chars is longer than maximum length 32."
    )
    assert "A ObservabilityStack name may have at most 13 characters" in message
    assert "Fix: Use a name of at most 13 characters" in message


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("Payments_DR", "aws:arcregionswitch/plan:Plan 'Payments_DR-region-switch'"),
        ("payments-platform-dr", "the name (20 characters)"),
        ("1dr", 'first character of "clusterIdentifier" must be a letter'),
    ],
)
def test_dr_names_flowing_into_rds_and_arc_are_refused(name: str, problem: str) -> None:
    from obs_platform._component import check_component_name
    from obs_platform._internal.errors import ObsPlatformError

    with pytest.raises(ObsPlatformError) as caught:
        check_component_name("PilotLightDr", "obs-platform:dr:PilotLightDr", name)
    assert problem in str(caught.value)
    assert "at most 18 characters" in str(caught.value)


def test_longest_allowed_names_pass() -> None:
    from obs_platform._component import check_component_name
    from obs_platform._internal.aws_names import COMPONENT_NAME_BUDGETS, longest_component_name

    for token, budgets in COMPONENT_NAME_BUDGETS.items():
        found = longest_component_name(budgets)
        if found is None:  # only unlimited children (RAM shares): nothing to refuse by length
            continue
        longest, _ = found
        check_component_name("X", token, "a" * longest)
        with pytest.raises(ValueError, match="does not fit its child"):
            check_component_name("X", token, "a" * (longest + 1))
    check_component_name("Cell", "obs-platform:cell:Cell", "ap-southeast-1")


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (
            lambda: aws.iam.Role("r", name="x" * 65, assume_role_policy="{}"),
            '"name" cannot be longer than 64 characters',
        ),
        (
            lambda: aws.kms.Alias("a", name="alias/aws/logs", target_key_id="k"),
            "cannot begin with reserved AWS CMK prefix 'alias/aws'",
        ),
        (
            lambda: aws.s3.Bucket("b", bucket="Shared_Obs_Logs"),
            'only lowercase alphanumeric characters and hyphens allowed in "bucket"',
        ),
        (
            lambda: aws.msk.Cluster(
                "k",
                cluster_name="k" * 65,
                kafka_version="3.8.x",
                number_of_broker_nodes=3,
                broker_node_group_info={
                    "instance_type": "kafka.m7g.large",
                    "client_subnets": ["s-1", "s-2", "s-3"],
                    "security_groups": ["sg-1"],
                },
            ),
            '"clusterName" cannot be longer than 64 characters',
        ),
        (
            lambda: aws.cloudwatch.MetricAlarm(
                "m",
                name="a" * 256,
                comparison_operator="LessThanThreshold",
                evaluation_periods=1,
            ),
            '"name" cannot be longer than 255 characters',
        ),
        (
            lambda: aws.rds.ClusterInstance(
                "i",
                identifier="app--eu-west-1-0",
                cluster_identifier="app",
                instance_class="db.r6g.large",
                engine="aurora-postgresql",
            ),
            '"identifier" cannot contain two consecutive hyphens',
        ),
    ],
    ids=["iam-role", "kms-alias", "bucket", "msk-cluster", "alarm", "rds-instance"],
)
def test_explicit_names_the_library_sets_are_checked(make, problem: str) -> None:
    assert problem in str(_refusal(make))
