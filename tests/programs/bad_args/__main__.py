"""A program whose component args are invalid: a mistyped region."""

from typing import Any

from obs_platform._component import Component
from obs_platform._internal.types import ArgsModel, Region


class OneArgs(ArgsModel):
    region: Region
    """A region."""


class One(Component[OneArgs]):
    TYPE_TOKEN = "test:index:One"
    ARGS_TYPE = OneArgs

    def _build(self, args: OneArgs) -> dict[str, Any]:
        return {}


One("primary", {"region": "eu-wset-1"})
