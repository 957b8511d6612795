"""The library's error type: what is wrong, the value received, and how to fix it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class ObsPlatformError(ValueError):
    """Raised for input the library refuses, before any resource is created.

    The message always names the component or field, the value received and the fix, so that a
    user reading it in ``pulumi up`` or ``obs-platform plan`` output knows what to change.

    Attributes:
        field: Dotted path of the argument at fault (``"IpamArgs.regions[1]"``), or ``None``.
        value: The value received.
        fix: How to correct it.
    """

    def __init__(
        self, message: str, *, field: str | None = None, value: Any = None, fix: str | None = None
    ) -> None:
        self.field = field
        self.value = value
        self.fix = fix
        parts = [message]
        if fix:
            parts.append(f"Fix: {fix}")
        super().__init__(" ".join(parts))


@dataclass(frozen=True)
class ArgsProblem:
    """One argument an args model refused.

    Attributes:
        field: Where it is, from the model's name (``"CellArgs.telemetry.loki_url"``).
        value: The value received, masked when the field holds a credential; ``None`` when the
            field was missing.
        message: What is wrong and the fix (``"unknown field; ... did you mean 'dr_strategy'?"``).
    """

    field: str
    value: Any
    message: str


class ArgsError(ObsPlatformError):
    """Raised when arguments fail an args model's validation, directly or through a component.

    A subclass of :class:`ObsPlatformError`, and so of :class:`ValueError` as pydantic's
    ``ValidationError`` is: ``except ValueError`` keeps working. The message has a line per
    field at fault: where it is, the value received (a secret field's value masked to its type
    and length), what is wrong and the fix, and for an unknown name a "did you mean"
    (``drStrategy`` -> ``dr_strategy``). It never carries pydantic's dump or documentation links.

    Attributes:
        problems: Every field at fault, in the order pydantic found them; :attr:`field` and
            :attr:`value` are the first one's.
        component: Who was given the arguments: ``"Cell 'eu-west-1'"`` for a component, the
            model's name (``"CellArgs"``) for a model built directly.
    """

    def __init__(
        self, message: str, *, problems: Sequence[ArgsProblem], component: str = ""
    ) -> None:
        first = problems[0] if problems else None
        super().__init__(
            message,
            field=first.field if first is not None else None,
            value=first.value if first is not None else None,
        )
        self.problems = tuple(problems)
        self.component = component
