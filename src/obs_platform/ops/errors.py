"""The error every DR operation raises for a condition an operator must act on."""

from __future__ import annotations

from .._internal.errors import ObsPlatformError


class OpsError(ObsPlatformError):
    """A DR operation cannot go on; the message says why and what to do.

    Attributes:
        exit_code: The process exit code the command line returns (2 for bad input, 3 for an
            operation that stopped part-way and can be resumed, 4 for a refusal to act).
        resumable: True when the operation stopped part-way and re-running resumes it.
    """

    def __init__(
        self, message: str, *, fix: str | None = None, exit_code: int = 2, resumable: bool = False
    ) -> None:
        super().__init__(message, fix=fix)
        self.exit_code = exit_code
        self.resumable = resumable
