"""The library's error type: what is wrong, the value received, and how to fix it."""

from __future__ import annotations

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
