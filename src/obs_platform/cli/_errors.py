"""Short, actionable messages for the errors a command can meet."""

from __future__ import annotations

import os
import sysconfig
import traceback
from pathlib import Path

from .._internal.errors import ArgsError, ObsPlatformError


class CommandError(Exception):
    """A command cannot go on; the message says why and what to do.

    Attributes:
        exit_code: The process exit code (2 for usage and input errors).
    """

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _user_frame(exc: BaseException) -> str | None:
    """Return ``file:line`` of the deepest frame outside the SDKs, the stdlib and this library."""
    library_root = str(Path(__file__).resolve().parents[1])
    stdlib = sysconfig.get_paths()["stdlib"] + os.sep
    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        filename = frame.filename
        if (
            "site-packages" in filename
            or filename.startswith((library_root, stdlib))
            or filename.startswith("<")
        ):
            continue
        found = f"{filename}:{frame.lineno}"
    return found


def is_input_error(exc: BaseException) -> bool:
    """Whether ``exc`` is about the user's input, fully said by its message (no traceback hint).

    Usage and input errors (a missing file, a bad option, configuration or arguments the
    library refuses, a registration the engine refuses) name the fix; a traceback would only
    point into the library. A program's own bug is not one: its traceback is the user's.
    """
    from pydantic import ValidationError

    from ..testing import ProgramError, ProjectError
    from ..testing._limits import ProgramStopError

    if isinstance(exc, ProgramError):
        return isinstance(exc.original, ObsPlatformError | ProgramStopError | ValidationError)
    return isinstance(exc, ProjectError | CommandError | ObsPlatformError)


def explain(exc: BaseException) -> str:
    """Return a one-paragraph explanation of ``exc`` for the terminal."""
    from pydantic import ValidationError

    from ..testing import ProgramError, ProjectError
    from ..testing._limits import ProgramStopError

    if isinstance(exc, ProgramError):
        original = exc.original
        built_directly = isinstance(original, ArgsError) and not original.component.endswith("'")
        if built_directly or isinstance(original, ValidationError):
            # An args model the program built itself (``CellArgs(drStrategy=...)``), or a
            # pydantic model of its own: the line of the program that built it, then the fields.
            # A component's (``Cell 'eu-west-1': ...``) names itself, as other refusals do.
            from .._internal.args_errors import args_error

            where = exc.location or _user_frame(original)
            at = f" at {where}" if where else ""
            readable = (
                args_error(original, component=original.title)
                if isinstance(original, ValidationError)
                else original
            )
            return f"the program's arguments are invalid{at}: {readable}"
        if isinstance(original, ObsPlatformError | ProgramStopError):
            return str(original)
        where = exc.location or _user_frame(original)
        at = f" at {where}" if where else ""
        return f"the program failed{at}: {type(original).__name__}: {original}"
    if isinstance(exc, ProjectError | CommandError | ObsPlatformError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def write_file(path: Path, text: str, option: str) -> None:
    """Write a command's output file, creating its folder.

    Args:
        path: Where to write.
        text: The content.
        option: The option that named the path, for the message (``"--json"``).

    Raises:
        CommandError: If the path cannot be written, saying which option to change.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CommandError(
            f"cannot write {path}: {exc.strerror}. Choose a writable path for {option}."
        ) from None
