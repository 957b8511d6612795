"""Shared, validated argument types for every component's args model.

``Input[T]`` follows DESIGN.md section 5: ``Union[InstanceOf[pulumi.Output], T]`` with the
Output first, so that pydantic keeps an ``Output`` as it is and validates a plain value. Values
that decide which and how many resources exist are plain types (``Region``, ``Cidr``...);
wiring (IDs, ARNs) is ``Input[str]``.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from collections.abc import Iterator
from typing import Annotated, Any, ClassVar, Self, TypeVar, Union

import pulumi
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    InstanceOf,
    ValidationError,
    model_validator,
)

from .args_errors import args_error
from .regions import check_region
from .tags import MAX_USER_TAGS, check_tags

T = TypeVar("T")

Input = Union[InstanceOf[pulumi.Output[Any]], T]  # noqa: UP007 - pydantic needs the Union form
"""A value known now (``T``) or an ``Output`` known after deploy; the Output is tried first."""


def _check_account_id(value: str) -> str:
    if not re.fullmatch(r"\d{12}", value):
        raise ValueError(
            f"{value!r} is not an AWS account ID; an account ID is exactly 12 digits, "
            "written as a string to keep leading zeros (for example '012345678901')."
        )
    return value


def _check_cidr(value: str) -> str:
    try:
        network = ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        raise ValueError(
            f"{value!r} is not an IPv4 CIDR; write it as address/prefix, such as '10.0.0.0/16'."
        ) from None
    if "/" not in value:
        raise ValueError(
            f"{value!r} has no prefix length; write it as '{network.network_address}/"
            f"{network.prefixlen}' or choose the prefix you mean."
        )
    if str(network) != value:
        raise ValueError(
            f"{value!r} has host bits set; the network address for that prefix is "
            f"{str(network)!r}. Use the network address."
        )
    return value


def _check_tag_map(value: dict[str, str]) -> dict[str, str]:
    return check_tags(value, MAX_USER_TAGS)


Region = Annotated[str, AfterValidator(check_region)]
"""A commercial AWS region code; a typo is refused with a "did you mean" suggestion."""

AccountId = Annotated[str, AfterValidator(_check_account_id)]
"""A 12-digit AWS account ID, as a string."""

Cidr = Annotated[str, AfterValidator(_check_cidr)]
"""An IPv4 network in CIDR notation, with no host bits set (``10.0.0.0/16``)."""

Tags = Annotated[dict[str, str], AfterValidator(_check_tag_map)]
"""Resource tags within AWS's limits: at most 40 (AWS's 50 less the 10 the library keeps for its
own keys), keys up to 128 and values up to 256 characters, no ``aws:`` prefix."""


INT32_MAX = 2**31 - 1
"""The largest value of an AWS API ``integer`` (a 32-bit signed Java integer on the service
side; botocore's models type counts, sizes and seconds as ``integer``)."""


def check_numbers(model: BaseModel, limit: float = INT32_MAX) -> None:
    """Refuse any number in ``model``'s fields (nested in tuples and lists too) above ``limit``.

    ``inf`` and ``nan`` are refused by ``allow_inf_nan=False``; this catches the finite values no
    AWS API or duration can hold (``retention_days=10**30``), which would otherwise pass
    validation and fail half-way, in ``pulumi up``.

    Raises:
        ValueError: Naming the field, the value and the limit.
    """
    for name, value in model:
        items = value if isinstance(value, tuple | list) else (value,)
        for item in items:
            if isinstance(item, bool) or not isinstance(item, int | float):
                continue
            if abs(item) > limit:
                shown = f"{item:.3g}" if abs(item) > 1e15 else repr(item)
                raise ValueError(
                    f"{name} is {shown}, beyond the largest value accepted ({limit:g}); "
                    "give a realistic figure"
                )


@contextlib.contextmanager
def _library_errors(model: type[BaseModel], component: str | None = None) -> Iterator[None]:
    """Turn pydantic's ``ValidationError`` inside the block into :class:`~.errors.ArgsError`."""
    try:
        yield
    except ValidationError as exc:
        raise args_error(exc, component=component or model.__name__, model=model) from None


class ArgsModel(BaseModel):
    """Base of every component's args: frozen, unknown fields refused, Outputs allowed.

    Numbers are finite (``inf``/``nan`` refused) and within what an AWS API integer holds.
    Invalid arguments raise :class:`~.errors.ArgsError` (a ``ValueError``, as pydantic's
    ``ValidationError`` is) in the library's format, however the model is built:
    ``CellArgs(...)``, ``CellArgs.model_validate(...)`` or a component given a dict.
    """

    def __init__(self, /, **data: Any) -> None:
        with _library_errors(type(self)):
            super().__init__(**data)

    # pydantic calls a model's own ``__init__`` for every nested model it validates when the
    # class has a custom one; marked as the base's, nested models are validated in one pass and
    # their errors reach the outermost model, which reports them all with their full path (the
    # same marker ``pydantic.RootModel.__init__`` carries).
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    def __setattr__(self, name: str, value: Any) -> None:
        with _library_errors(type(self)):
            super().__setattr__(name, value)

    @classmethod
    def model_validate(cls, obj: Any, *, component: str | None = None, **options: Any) -> Self:
        """Validate ``obj`` (a dict of fields) into the model.

        Args:
            obj: The fields.
            component: Who was given them, for the error's first line (``"Cell 'eu-west-1'"``);
                the model's name by default.
            **options: pydantic's ``model_validate`` options (``strict``, ``context``...).

        Raises:
            ArgsError: Naming each field at fault, the value received and the fix.
        """
        with _library_errors(cls, component):
            return super().model_validate(obj, **options)

    @classmethod
    def model_validate_json(
        cls, json_data: str | bytes | bytearray, *, component: str | None = None, **options: Any
    ) -> Self:
        """Validate a JSON document of fields into the model (see :meth:`model_validate`).

        Raises:
            ArgsError: Naming each field at fault, the value received and the fix.
        """
        with _library_errors(cls, component):
            return super().model_validate_json(json_data, **options)

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        arbitrary_types_allowed=True,
        use_attribute_docstrings=True,
        validate_default=True,
        allow_inf_nan=False,
        # pydantic's messages end with ``input_value=...``, which for a webhook URL or a password
        # prints the secret; the library's own messages name the value where it is safe to.
        hide_input_in_errors=True,
    )

    @model_validator(mode="after")
    def _numbers_in_range(self) -> Self:
        check_numbers(self)
        return self


class SettingsModel(ArgsModel):
    """Base of models of plain settings (timing assumptions, prices).

    No Outputs among them, and every number at most the class's ``NUMBER_LIMIT`` (a larger
    figure is a typo).
    """

    model_config = ConfigDict(arbitrary_types_allowed=False)
    NUMBER_LIMIT: ClassVar[float] = INT32_MAX
    """The largest number a field (or an item of a tuple or list field) may hold."""

    @model_validator(mode="after")
    def _numbers_in_range(self) -> Self:
        check_numbers(self, type(self).NUMBER_LIMIT)
        return self
