"""The engine answers every output programs read, so no ``None`` reaches an input."""

from __future__ import annotations

import re
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest

from conftest import app_cells_stack_outputs
from obs_platform.testing import run, run_program

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize("example", ["shared-account", "app-cells"])
def test_no_none_reaches_an_input_in_the_examples(example: str) -> None:
    plan = run_program(EXAMPLES / example, stack_outputs=app_cells_stack_outputs())
    assert plan.inputs_holding_none() == []


def test_a_none_formatted_into_an_input_is_found() -> None:
    def program() -> None:
        empty = pulumi.Output.from_input(None)
        aws.s3.Bucket(
            "logs",
            tags={"endpoint": empty.apply(lambda url: f"{url}api/v1/remote_write")},
        )

    found = run(program, config={"aws:region": "eu-west-1"}).inputs_holding_none()
    assert found == [
        "urn:pulumi:dev::project::pulumi:pulumi:Stack$aws:s3/bucket:Bucket::logs: "
        "tags.endpoint = 'Noneapi/v1/remote_write'"
    ]


def test_amp_remote_write_recipe_gets_a_real_url() -> None:
    # docs/howto/scale-out.md: the AMP workspace's endpoint + "api/v1/remote_write".
    def program() -> None:
        workspace = aws.amp.Workspace("metrics", alias="obs-platform", region="eu-west-1")
        pulumi.export(
            "url", workspace.prometheus_endpoint.apply(lambda url: f"{url}api/v1/remote_write")
        )
        pulumi.export("arn", workspace.arn)

    plan = run(program, config={"aws:region": "eu-west-1"})
    workspace_id = plan.get("metrics").outputs["id"]
    assert workspace_id.startswith("ws-")
    assert plan.outputs["url"] == (
        f"https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/{workspace_id}"
        "/api/v1/remote_write"
    )
    assert plan.outputs["arn"] == f"arn:aws:aps:eu-west-1:111111111111:workspace/{workspace_id}"


def test_common_user_types_are_answered() -> None:
    def program() -> None:
        queue = aws.sqs.Queue("jobs")
        function = aws.lambda_.Function(
            "handler",
            role="arn:aws:iam::111111111111:role/lambda",
            runtime="python3.12",
            handler="main.handler",
            code=pulumi.AssetArchive({}),
        )
        kafka = aws.msk.Cluster(
            "events",
            kafka_version="3.8.x",
            number_of_broker_nodes=3,
            broker_node_group_info={
                "instance_type": "kafka.m7g.large",
                "client_subnets": ["subnet-1", "subnet-2", "subnet-3"],
                "security_groups": ["sg-1"],
            },
        )
        secret = aws.secretsmanager.Secret("db")
        pulumi.export("queue", queue.url)
        pulumi.export("invoke", function.invoke_arn)
        pulumi.export("tls", kafka.bootstrap_brokers_tls)
        pulumi.export("secret", secret.arn)

    outputs = run(program, config={"aws:region": "eu-west-1"}).outputs
    assert outputs["queue"].startswith("https://sqs.eu-west-1.amazonaws.com/111111111111/jobs-")
    assert outputs["invoke"].startswith(
        "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:eu-west-1:111111111111:function:handler-"
    )
    assert outputs["tls"].count(":9094") == 3
    assert outputs["secret"].startswith("arn:aws:secretsmanager:eu-west-1:111111111111:secret:db-")


def _identity_program(provider_args: dict[str, object]) -> None:
    provider = aws.Provider("deploy", **provider_args)
    invoke = pulumi.InvokeOptions(provider=provider)
    identity = aws.get_caller_identity(opts=invoke)
    pulumi.export("account", identity.account_id)
    pulumi.export("arn", identity.arn)
    pulumi.export("user_id", identity.user_id)
    pulumi.export("region", aws.get_region(opts=invoke).region)
    pulumi.export("partition", aws.get_partition(opts=invoke).partition)
    default = aws.get_caller_identity()
    pulumi.export("default_arn", default.arn)
    pulumi.export("default_region", aws.get_region().region)
    # A component's children (and their invokes) use the provider passed in opts.providers.
    parent = pulumi.ComponentResource(
        "test:index:Holder", "holder", None, pulumi.ResourceOptions(providers=[provider])
    )
    child = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent))
    pulumi.export("child_arn", child.arn)


def test_caller_identity_through_an_assumed_role_is_the_roles_session() -> None:
    role = "arn:aws:iam::222222222222:role/platform/obs-platform-deploy"
    plan = run(
        lambda: _identity_program(
            {"region": "us-east-1", "assume_roles": [{"role_arn": role, "session_name": "ci"}]}
        ),
        config={"aws:region": "eu-west-1"},
    )
    session_arn = "arn:aws:sts::222222222222:assumed-role/obs-platform-deploy/ci"
    assert plan.outputs["account"] == "222222222222"
    assert plan.outputs["arn"] == session_arn
    assert plan.outputs["user_id"].startswith("AROA") and plan.outputs["user_id"].endswith(":ci")
    assert len(plan.outputs["user_id"].split(":")[0]) == 21
    assert plan.outputs["region"] == "us-east-1"
    assert plan.outputs["partition"] == "aws"
    assert plan.outputs["child_arn"] == session_arn
    # Without the provider: the stack's default credentials and region.
    assert plan.outputs["default_arn"] == "arn:aws:iam::111111111111:user/offline"
    assert plan.outputs["default_region"] == "eu-west-1"


def test_a_role_chain_runs_as_its_last_role_and_a_missing_session_name_gets_the_sdks() -> None:
    first = "arn:aws:iam::333333333333:role/hop"
    last = "arn:aws:iam::444444444444:role/deploy"
    plan = run(
        lambda: _identity_program(
            {"region": "eu-west-2", "assume_roles": [{"role_arn": first}, {"role_arn": last}]}
        ),
        config={"aws:region": "eu-west-1"},
    )
    assert plan.outputs["account"] == "444444444444"
    assert re.fullmatch(
        r"arn:aws:sts::444444444444:assumed-role/deploy/aws-go-sdk-\d{19}", plan.outputs["arn"]
    )
    assert plan.outputs["region"] == "eu-west-2"


def test_a_web_identity_role_is_the_caller() -> None:
    role = "arn:aws:iam::555555555555:role/github-actions"
    plan = run(
        lambda: _identity_program(
            {
                "region": "eu-west-1",
                "assume_role_with_web_identity": {
                    "role_arn": role,
                    "session_name": "gha",
                    "web_identity_token": "token",
                },
            }
        ),
        config={"aws:region": "eu-west-1"},
    )
    assert plan.outputs["arn"] == "arn:aws:sts::555555555555:assumed-role/github-actions/gha"


def test_a_load_balancers_arn_suffix_is_its_cloudwatch_dimension() -> None:
    def program() -> None:
        lb = aws.lb.LoadBalancer("ingest", load_balancer_type="network", internal=True)
        aws.cloudwatch.MetricAlarm(
            "healthy",
            comparison_operator="LessThanThreshold",
            evaluation_periods=1,
            metric_name="HealthyHostCount",
            namespace="AWS/NetworkELB",
            period=60,
            statistic="Minimum",
            threshold=1,
            dimensions={"LoadBalancer": lb.arn_suffix},
        )

    plan = run(program, config={"aws:region": "eu-west-1"})
    arn = plan.get("ingest").outputs["arn"]
    dimension = plan.get("healthy").inputs["dimensions"]["LoadBalancer"]
    assert re.fullmatch(r"net/ingest-[0-9a-f]{7}/[0-9a-f]{16}", dimension)
    assert arn.endswith(f":loadbalancer/{dimension}")
    assert plan.inputs_holding_none() == []
