"""The engine makes secret what ``additional_secret_outputs`` and secret inputs make secret.

As Pulumi's engine does after each step (``pkg/resource/deploy/step_executor.go``): the listed
outputs become secrets in what the program reads back, so ``"[secret]"`` in the plan wherever
they flow; ``id`` cannot be made secret (a warning with Pulumi's text).
"""

from __future__ import annotations

from pathlib import Path

import pulumi
import pulumi_aws as aws

from conftest import app_cells_stack_outputs
from obs_platform.testing import run, run_program

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
REGION = {"aws:region": "eu-west-1"}


def test_additional_secret_outputs_are_secret_wherever_they_flow() -> None:
    def program() -> None:
        hidden = aws.s3.Bucket(
            "hidden", opts=pulumi.ResourceOptions(additional_secret_outputs=["arn", "bucket"])
        )
        shown = aws.s3.Bucket("shown")
        aws.sns.Topic("topic", tags={"hidden": hidden.arn, "shown": shown.arn})
        pulumi.export("hidden_arn", hidden.arn)
        pulumi.export("shown_arn", shown.arn)
        pulumi.export("hidden_is_secret", pulumi.Output.is_secret(hidden.arn))

    plan = run(program, config=REGION)
    hidden = plan.get("hidden", "aws:s3/bucket:Bucket")
    assert hidden.outputs["arn"] == "[secret]"
    assert hidden.outputs["bucket"] == "[secret]"
    assert hidden.outputs["region"] == "eu-west-1"  # not listed: stays plain
    shown_arn = plan.get("shown", "aws:s3/bucket:Bucket").outputs["arn"]
    assert shown_arn.startswith("arn:aws:s3:::shown-")
    assert plan.outputs["hidden_arn"] == "[secret]"
    assert plan.outputs["shown_arn"] == shown_arn
    assert plan.outputs["hidden_is_secret"] is True
    assert plan.get("topic").inputs["tags"] == {"hidden": "[secret]", "shown": shown_arn}
    assert "arn:aws:s3:::hidden" not in plan.dumps()
    assert plan.diagnostics == ()


def test_a_secret_input_keeps_its_output_secret() -> None:
    def program() -> None:
        topic = aws.sns.Topic("topic", display_name=pulumi.Output.secret("on-call"))
        pulumi.export("display_name", topic.display_name)

    plan = run(program, config=REGION)
    assert plan.get("topic").outputs["displayName"] == "[secret]"
    assert plan.outputs["display_name"] == "[secret]"


def test_the_id_cannot_be_made_secret() -> None:
    def program() -> None:
        bucket = aws.s3.Bucket("b", opts=pulumi.ResourceOptions(additional_secret_outputs=["id"]))
        pulumi.export("id", bucket.id)

    plan = run(program, config=REGION)
    assert plan.outputs["id"].startswith("b-")
    assert plan.diagnostics == (
        "warning: aws:s3/bucket:Bucket 'b' (urn:pulumi:dev::project::pulumi:pulumi:Stack$"
        "aws:s3/bucket:Bucket::b): The 'id' property cannot be made secret. See "
        "pulumi/pulumi#2717 for more details.",
    )


def test_the_dr_password_seed_ciphertext_is_recorded_secret() -> None:
    # dr/aurora.py: the master password derives from the seed's ciphertext, so the seed
    # lists ciphertextBlob in additional_secret_outputs; state and plan keep it secret.
    plan = run_program(EXAMPLES / "app-cells", stack_outputs=app_cells_stack_outputs())
    seeds = plan.by_type("aws:kms/ciphertext:Ciphertext")
    assert [seed.name for seed in seeds] == ["app-db-password-seed"]
    assert seeds[0].outputs["ciphertextBlob"] == "[secret]"
    assert seeds[0].outputs["keyId"] != "[secret]"
    versions = plan.by_type("aws:secretsmanager/secretVersion:SecretVersion")
    assert versions and all(v.inputs["secretString"] == "[secret]" for v in versions)
