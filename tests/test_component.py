"""The component base: validation first, parented children, options merged, outputs registered."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from obs_platform import ObsPlatformError
from obs_platform._component import Component
from obs_platform._internal.types import ArgsModel, Region
from obs_platform.testing import ProgramError, run


class DemoArgs(ArgsModel):
    region: Region
    """Region of the bucket."""
    copies: int = 1
    """How many buckets."""


class Demo(Component[DemoArgs]):
    TYPE_TOKEN = "test:index:Demo"
    ARGS_TYPE = DemoArgs

    def _check(self, args: DemoArgs, label: str) -> None:
        if args.copies > 3:
            raise ObsPlatformError(
                f"{label}: copies={args.copies} is more than 3.",
                field="DemoArgs.copies",
                value=args.copies,
                fix="Use at most 3 copies.",
            )

    def _build(self, args: DemoArgs) -> dict[str, Any]:
        buckets = [
            aws.s3.Bucket(
                self.child_name(f"copy{i}"),
                region=args.region,
                tags=self.tags({"Name": f"copy{i}"}),
                opts=self.child_opts(pulumi.ResourceOptions(protect=True)),
            )
            for i in range(args.copies)
        ]
        return {"bucket_ids": pulumi.Output.all(*[b.id for b in buckets])}


def test_children_are_parented_named_tagged_and_outputs_registered() -> None:
    def program() -> None:
        demo = Demo(
            "logs",
            {"region": "eu-north-1", "copies": 2},
            opts=pulumi.ResourceOptions(protect=False),
        )
        pulumi.export("ids", demo.bucket_ids)  # type: ignore[attr-defined]

    plan = run(program, config={"aws:region": "us-east-1"})
    component = plan.get("logs", "test:index:Demo")
    assert component.custom is False
    children = plan.children(component)
    assert [(c.type, c.name, c.region, c.protect) for c in children] == [
        ("aws:s3/bucket:Bucket", "logs-copy0", "eu-north-1", True),
        ("aws:s3/bucket:Bucket", "logs-copy1", "eu-north-1", True),
    ]
    assert children[0].inputs["tags"] == {
        "obs-platform:managed-by": "obs-platform",
        "obs-platform:component": "test:index:Demo",
        "Name": "copy0",
    }
    assert component.outputs == {"bucket_ids": plan.outputs["ids"]}
    assert len(plan.outputs["ids"]) == 2


def test_providers_flow_from_the_caller() -> None:
    def program() -> None:
        other = aws.Provider("other", region="ca-central-1")
        Demo(
            "x",
            DemoArgs(region="ca-central-1"),
            opts=pulumi.ResourceOptions(providers={"aws": other}),
        )

    plan = run(program)
    assert plan.get("x-copy0").provider == plan.get("other").urn


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"region": "eu-west-1", "copies": 9}, "Demo 'bad': copies=9 is more than 3. Fix: Use at"),
        ({"region": "eu-west-1", "copeis": 2}, "DemoArgs.copeis (got 2): unknown field"),
        ({}, "DemoArgs.region: required"),
        ("eu-west-1", "args must be DemoArgs or a dict, got str"),
    ],
)
def test_bad_args_register_nothing(args: Any, expected: str) -> None:
    def program() -> None:
        Demo("bad", args)

    with pytest.raises(ProgramError) as caught:
        run(program)
    assert isinstance(caught.value.original, ObsPlatformError)
    assert expected in str(caught.value.original)


def test_nothing_is_half_created() -> None:
    created: list[str] = []

    def program() -> None:
        aws.s3.Bucket("before")
        try:
            Demo("bad", {"region": "eu-west-1", "copies": 9})
        except ObsPlatformError:
            created.append("refused")

    plan = run(program)
    assert created == ["refused"]
    assert [r.type for r in plan] == ["pulumi:pulumi:Stack", "aws:s3/bucket:Bucket"]


def test_empty_name_is_refused() -> None:
    with pytest.raises(ProgramError, match="the name must be a non-empty string"):
        run(lambda: Demo("", {"region": "eu-west-1"}))
