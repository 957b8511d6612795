"""Args-model validation errors in the library's format: field, value received, fix.

pydantic's own ``ValidationError`` prints a dump with documentation links and, for a webhook URL,
the secret itself. Every args model (:class:`.types.ArgsModel`) and every component turns it into
one :class:`~.errors.ArgsError` through :func:`args_error`: a line per field at fault with the
value received (masked where the field holds a credential), what is wrong and the fix, and a
"did you mean" for a misspelt or camelCase name (``drStrategy`` -> ``dr_strategy``).
"""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import ArgsError, ArgsProblem


def _format_location(model: str, loc: tuple[int | str, ...]) -> str:
    path = model
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


_SECRET_FIELD = re.compile(
    # ``_pem``: PEM text (a CA bundle) is public, but a key pasted in by mistake is not.
    r"(password|passwd|secret|token|api_key|routing_key|credential|webhook|_url|\burl|_pem)$",
    re.IGNORECASE,
)


def is_secret_field(location: str) -> bool:
    """True for a field whose value may be a credential (a password, token or webhook URL)."""
    return any(_SECRET_FIELD.search(part) for part in re.split(r"[.\[\]]", location) if part)


def masked(value: Any) -> Any:
    """A secret field's value as an error message may show it: its type and length only."""
    if isinstance(value, str):
        return f"[masked: {len(value)} characters]"
    return value if value is None else f"[masked {type(value).__name__}]"


def scrubbed(value: Any, depth: int = 0) -> Any:
    """Return ``value`` with every entry under a secret-looking key masked, however deep.

    An unknown field's dict can hold a webhook URL.
    """
    if depth > 20:
        return "[...]"
    if isinstance(value, Mapping):
        return {
            k: masked(v) if is_secret_field(str(k)) else scrubbed(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(scrubbed(v, depth + 1) for v in value)
    return value


def _model_at(model: type[BaseModel] | None, loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """Return the model that holds the last part of ``loc`` (nested args, lists of them)."""
    current = model
    for part in loc[:-1]:
        if current is None or isinstance(part, int):
            continue
        info = current.model_fields.get(str(part))
        if info is None:
            return None
        nested = [
            t
            for t in (info.annotation, *typing.get_args(info.annotation))
            for t in (t, *typing.get_args(t))
            if isinstance(t, type) and issubclass(t, BaseModel)
        ]
        current = nested[0] if nested else None
    return current


def _snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def did_you_mean(field: str, model: type[BaseModel] | None) -> str:
    """Return a hint for an unknown field: its snake_case spelling, a close name, or the list."""
    if model is None:
        return "check the spelling"
    names = sorted(model.model_fields)
    snake = _snake_case(field)
    if snake != field and snake in names:
        return f"did you mean {snake!r}? Python argument names are snake_case"
    close = difflib.get_close_matches(snake, names, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    return f"{model.__name__} takes: {', '.join(names)}"


def _model_named(title: str) -> type[BaseModel] | None:
    """Find an args model by class name (a ValidationError carries only the name)."""
    from .types import ArgsModel  # the models import this module to raise its errors

    pending: list[type[BaseModel]] = [ArgsModel]
    while pending:
        cls = pending.pop()
        if cls.__name__ == title:
            return cls
        pending.extend(cls.__subclasses__())
    return None


_GENERIC_FIXES = {
    "literal_error": "use one of the values listed",
    "enum": "use one of the values listed",
    "string_pattern_mismatch": "give a value that matches the pattern",
    "string_too_short": "give a longer value",
    "string_too_long": "give a shorter value",
    "too_short": "give more items",
    "too_long": "give fewer items",
    "greater_than": "give a larger number",
    "greater_than_equal": "give a larger number",
    "less_than": "give a smaller number",
    "less_than_equal": "give a smaller number",
    "is_instance_of": "pass a value of the type named",
}
"""The fix for pydantic's own constraint errors, whose messages say only what is wrong; the
library's validators (``value_error``) already end with theirs."""


def _fix_for(error_type: str, model: str) -> str | None:
    if error_type in {"frozen_instance", "frozen_field"}:
        return f"build a new {model}(...) with the value you want (args are immutable)"
    if error_type in _GENERIC_FIXES:
        return _GENERIC_FIXES[error_type]
    if error_type.endswith(("_type", "_parsing")):
        return "pass a value of the type named"
    return None


_UNION_BRANCH = re.compile(
    r"^(?:str|int|float|bool|bytes|none|decimal|enum|"
    r"(?:function-(?:after|before|wrap|plain)|json-or-python|is-instance|lax-or-strict|"
    r"constrained-(?:str|int|float|bytes)|tagged-union|nullable|literal|list|tuple|dict|set|"
    r"frozenset|union|chain|default|model|model-fields)(?:\[.*\])?)$"
)
"""A location part pydantic adds for the branch of a union it tried (``Input[str]`` is
``Output | str``, so a wrong value fails both ``is-instance[Output]`` and ``str``)."""

_OUTPUT_BRANCH = "Input should be an instance of Output"


def _field_errors(exc: ValidationError) -> list[tuple[tuple[int | str, ...], list[Any]]]:
    """Group pydantic's errors by field: union branches folded into the field they belong to.

    For an ``Input[T]`` field the ``Output`` branch's complaint is dropped when the plain
    value's branch has one: a user who passed a plain value wants to hear about ``T``.
    """
    grouped: dict[tuple[int | str, ...], list[Any]] = {}
    for error in exc.errors(include_url=False):
        loc = tuple(
            part
            for part in error["loc"]
            if not (isinstance(part, str) and _UNION_BRANCH.match(part))
        )
        grouped.setdefault(loc, []).append(error)
    for loc, errors in grouped.items():
        plain = [e for e in errors if not str(e["msg"]).startswith(_OUTPUT_BRANCH)]
        grouped[loc] = plain or errors
    return list(grouped.items())


def args_error(
    exc: ValidationError, *, component: str, model: type[BaseModel] | None = None
) -> ArgsError:
    """Turn a pydantic ``ValidationError`` into one readable :class:`~.errors.ArgsError`.

    Each field at fault gets a line: where it is, the value received (masked for a secret
    field), what is wrong and the fix; an unknown field (a typo, ``drStrategy`` for
    ``dr_strategy``) gets "did you mean". No pydantic documentation links.

    Args:
        exc: What pydantic raised.
        component: Who was given the arguments, for the first line (``"Cell 'eu-west-1'"``, or
            the model's name when it was built directly).
        model: The model validated, to find "did you mean" candidates in (nested ones too).
    """
    model = model or _model_named(exc.title)
    problems: list[ArgsProblem] = []
    lines = []
    for loc, errors in _field_errors(exc):
        error = errors[0]
        location = _format_location(exc.title, loc)
        messages = dict.fromkeys(str(e["msg"]).removeprefix("Value error, ") for e in errors)
        message = "; or ".join(messages)
        if error["type"] == "extra_forbidden":
            holder = _model_at(model, loc)
            owner = holder.__name__ if holder is not None else exc.title
            hint = did_you_mean(str(loc[-1]), holder)
            message = f"unknown field; {owner} has no such argument. Fix: {hint}"
        elif error["type"] == "missing":
            message = "required, and no default exists. Fix: set it"
        elif (fix := _fix_for(str(error["type"]), exc.title)) is not None:
            message = f"{message}. Fix: {fix}"
        missing = error["type"] == "missing"
        received = None if missing else error.get("input")
        # The field path only: a model's own name (``WithSecret``) says nothing of its fields.
        secret = is_secret_field(_format_location("", loc))
        received = masked(received) if secret else scrubbed(received)
        problems.append(ArgsProblem(field=location, value=received, message=message))
        shown = "" if missing else f" (got {received!r})"
        lines.append(f"  {location}{shown}: {message}")
    return ArgsError(
        f"{component}: invalid arguments:\n" + "\n".join(lines),
        problems=problems,
        component=component,
    )
