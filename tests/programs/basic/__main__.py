"""A small program: one custom component, an explicit provider, a secret, data sources."""

from typing import Any

import helpers
import pulumi
import pulumi_aws as aws
from pydantic import Field

from obs_platform._component import Component
from obs_platform._internal.types import ArgsModel, Region


class BucketPairArgs(ArgsModel):
    region: Region
    """Where the buckets live."""
    copies: int = Field(2, ge=1, le=3)
    """How many buckets."""


class BucketPair(Component[BucketPairArgs]):
    TYPE_TOKEN = "test:index:BucketPair"
    ARGS_TYPE = BucketPairArgs

    def _build(self, args: BucketPairArgs) -> dict[str, Any]:
        buckets = [
            aws.s3.Bucket(
                self.child_name(f"b{i}"),
                region=args.region,
                tags=self.tags({"Name": f"b{i}"}),
                opts=self.child_opts(protect=True),
            )
            for i in range(args.copies)
        ]
        return {"bucket_names": pulumi.Output.all(*[b.bucket for b in buckets])}


config = pulumi.Config()
pair = BucketPair(helpers.PREFIX, BucketPairArgs(region="us-west-2"))
standby = aws.Provider(
    "standby",
    region="us-east-2",
    assume_roles=[{"role_arn": "arn:aws:iam::222222222222:role/deploy"}],
)
key = aws.kms.Key(
    "standby-key",
    description="standby data",
    opts=pulumi.ResourceOptions(provider=standby, retain_on_delete=True),
)
secret = aws.secretsmanager.Secret(
    "db", kms_key_id=key.arn, opts=pulumi.ResourceOptions(provider=standby)
)
aws.secretsmanager.SecretVersion(
    "db-value",
    secret_id=secret.id,
    secret_string=config.require_secret("dbPassword"),
    opts=pulumi.ResourceOptions(
        provider=standby, depends_on=[pair], ignore_changes=["secretString"]
    ),
)
zones = aws.get_availability_zones()
pulumi.export("zones", zones.names)
pulumi.export("replicas", config.require_int("replicas"))
pulumi.export("labels", config.require_object("labels"))
pulumi.export("bucket_prefix", config.require("bucketPrefix"))
pulumi.export("key_arn", key.arn)
pulumi.export("password", config.require_secret("dbPassword"))
pulumi.export("bucket_names", pair.bucket_names)  # type: ignore[attr-defined]
