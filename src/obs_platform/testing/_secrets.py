"""Notice a ``secure:`` configuration value read as plain text.

``Config.get``/``require`` return a secret value as a plain string; whatever the program builds
from it is then stored in plain text in the state (only ``get_secret``/``require_secret`` keep
it a secret). The Python SDK meant to warn about this (``pulumi.config.Config._get``, the
warning commented out under pulumi/pulumi#7127); the offline engine does, for the plan.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pulumi


@contextlib.contextmanager
def warn_plaintext_secret_reads(
    secret_keys: frozenset[str] | set[str], warn: Callable[[str], None]
) -> Iterator[None]:
    """While active, report each read of a secret key with ``get``/``require`` (once per key).

    Args:
        secret_keys: Full keys (``project:key``) whose values are secrets.
        warn: Receives the warning text.
    """
    real = pulumi.Config._get
    warned: set[str] = set()

    def checked(
        self: pulumi.Config, key: str, use: Any = None, instead_of: Any = None
    ) -> str | None:
        full_key = self.full_key(key)
        if use is not None and full_key in secret_keys and full_key not in warned:
            warned.add(full_key)
            plain = getattr(instead_of, "__name__", "get")
            secret = getattr(use, "__name__", "get_secret")
            warn(
                f"configuration {full_key!r} is a secret (secure: in the stack file) but the "
                f"program reads it with Config.{plain}, so what it passes on is stored in plain "
                f"text in the state; use Config.{secret} instead"
            )
        return real(self, key, use, instead_of)

    pulumi.Config._get = checked  # type: ignore[method-assign]
    try:
        yield
    finally:
        pulumi.Config._get = real  # type: ignore[method-assign]
