"""The engine answers every output programs read, so no ``None`` reaches an input."""

from __future__ import annotations

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
