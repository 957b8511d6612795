"""The one base for every component: validated args, parented children, outputs registered.

Subclasses declare their type token and args model, implement :meth:`Component._build`, and get:

* args validated *before* anything is registered, so bad input never half-creates a stack,
  and the error names the component, the field, the value and the fix;
* ``child_opts`` that parent every child to the component and merge per-child options;
* outputs set as attributes and passed to ``register_outputs``, always, as the last step.
"""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar

import pulumi
from pydantic import BaseModel, ValidationError

from ._internal.aws_names import COMPONENT_NAME_BUDGETS, longest_component_name
from ._internal.errors import ObsPlatformError
from ._internal.tags import merge_tags
from ._internal.types import ArgsModel

ArgsT = TypeVar("ArgsT", bound=ArgsModel)


def _format_location(model: str, loc: tuple[int | str, ...]) -> str:
    path = model
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def validate_args(
    args_type: type[ArgsT], args: ArgsT | Mapping[str, Any], *, component: str
) -> ArgsT:
    """Validate a component's args (a model or a plain dict) into the model.

    Args:
        args_type: The pydantic args model.
        args: What the caller passed.
        component: ``"<Type> '<name>'"``, for the message.

    Raises:
        ObsPlatformError: Listing each field at fault with the value received and the fix.
    """
    if isinstance(args, args_type):
        return args
    if isinstance(args, ArgsModel):
        raise ObsPlatformError(
            f"{component}: args is a {type(args).__name__}, expected {args_type.__name__}.",
            field="args",
            value=type(args).__name__,
            fix=f"Pass {args_type.__name__}(...) or a dict of its fields.",
        )
    if not isinstance(args, Mapping):
        raise ObsPlatformError(
            f"{component}: args must be {args_type.__name__} or a dict, got {type(args).__name__}.",
            field="args",
            value=args,
            fix=f"Pass {args_type.__name__}(...).",
        )
    try:
        return args_type.model_validate(dict(args))
    except ValidationError as exc:
        raise args_error(exc, component=component, model=args_type) from None


_NAME_CHARACTERS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
"""What a component name may hold: every child's name, ``Name`` tag and label derives from it,
and this is where the AWS tag character set (letters, digits, spaces, ``_ . : / = + - @``) and
the characters of AWS resource names meet."""

_SECRET_FIELD = re.compile(
    r"(password|passwd|secret|token|api_key|routing_key|credential|webhook|_url|\burl)$",
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
    pending: list[type[BaseModel]] = [ArgsModel]
    while pending:
        cls = pending.pop()
        if cls.__name__ == title:
            return cls
        pending.extend(cls.__subclasses__())
    return None


def args_error(
    exc: ValidationError, *, component: str, model: type[BaseModel] | None = None
) -> ObsPlatformError:
    """Turn a pydantic ``ValidationError`` into one readable :class:`ObsPlatformError`.

    Each field at fault gets a line: where it is, the value received, what is wrong and the
    fix; an unknown field (a typo, ``drStrategy`` for ``dr_strategy``) gets "did you mean".
    No pydantic documentation links.
    """
    model = model or _model_named(exc.title)
    lines = []
    first_field: str | None = None
    first_value: Any = None
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        location = _format_location(exc.title, loc)
        first_field = first_field or location
        first_value = first_value if first_value is not None else error.get("input")
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            holder = _model_at(model, loc)
            owner = holder.__name__ if holder is not None else exc.title
            hint = did_you_mean(str(loc[-1]), holder)
            message = f"unknown field; {owner} has no such argument. Fix: {hint}"
        elif error["type"] == "missing":
            message = "required, and no default exists. Fix: set it"
        received = error.get("input")
        if is_secret_field(location):
            received = masked(received)
            first_value = masked(first_value) if first_field == location else first_value
        received = scrubbed(received)
        first_value = scrubbed(first_value)
        shown = "" if error["type"] == "missing" else f" (got {received!r})"
        lines.append(f"  {location}{shown}: {message}")
    return ObsPlatformError(
        f"{component}: invalid arguments:\n" + "\n".join(lines),
        field=first_field,
        value=first_value,
    )


def check_component_name(kind: str, type_token: str, name: str) -> None:
    """Refuse a component name that a child's physical name cannot carry.

    Children derive their names from the component's (``{name}-tg``, ``{name}-region-switch``);
    each is checked against the naming table (:mod:`._internal.aws_names`) before anything is
    registered, so a name that is too long, or has characters a child's type refuses, fails
    here with the longest name allowed instead of in ``pulumi preview`` half-way.

    Raises:
        ObsPlatformError: Naming the child, what its provider would say and the fix.
    """
    budgets = COMPONENT_NAME_BUDGETS.get(type_token, ())
    longest = longest_component_name(budgets)
    for budget in budgets:
        problems = budget.problems(name)
        if not problems:
            continue
        child = budget.template.replace("{name}", name)
        most = longest[0] if longest is not None else len(name)
        tightest = (
            f" A {kind} name may have at most {most} characters (the tightest child is "
            f"{longest[1].type_token} {longest[1].template!r})."
            if longest is not None
            else ""
        )
        raise ObsPlatformError(
            f"{kind} {name!r}: the name ({len(name)} characters) does not fit its child "
            f"{budget.type_token} {child!r}: {'; '.join(problems)}.{tightest}",
            field="name",
            value=name,
            fix=f"Use a name of at most {most} characters: lowercase letters, digits and single "
            "hyphens, starting with a letter and ending with a letter or digit.",
        )


class Component(pulumi.ComponentResource, Generic[ArgsT]):
    """Base of the library's components.

    Attributes:
        args: The validated arguments the component was built from.
    """

    TYPE_TOKEN: ClassVar[str]
    ARGS_TYPE: ClassVar[type[ArgsModel]]

    args: ArgsT

    def __init__(
        self, name: str, args: ArgsT | Mapping[str, Any], opts: pulumi.ResourceOptions | None = None
    ) -> None:
        label = f"{type(self).__name__} {name!r}"
        if not isinstance(name, str) or not name:
            raise ObsPlatformError(
                f"{type(self).__name__}: the name must be a non-empty string, got {name!r}.",
                field="name",
                value=name,
                fix="Pass a short name such as 'core' or 'eu-west-1'.",
            )
        if not _NAME_CHARACTERS.match(name):
            raise ObsPlatformError(
                f"{type(self).__name__} {name!r}: the name has characters its children's AWS "
                "names, Name tags and Kubernetes objects refuse (only letters, digits, '.', "
                "'_' and '-' reach all of them).",
                field="name",
                value=name,
                fix="Use letters, digits and hyphens, such as 'core' or 'eu-west-1'.",
            )
        check_component_name(type(self).__name__, self.TYPE_TOKEN, name)
        validated: ArgsT = validate_args(self.ARGS_TYPE, args, component=label)  # type: ignore[assignment]
        self._check(validated, label)
        super().__init__(self.TYPE_TOKEN, name, None, opts)
        self.args = validated
        self._name = name
        outputs = self._build(validated)
        for key, value in outputs.items():
            setattr(self, key, value)
        self.register_outputs(outputs)

    def _check(self, args: ArgsT, label: str) -> None:
        """Cross-field checks that need more than the model; raise ``ObsPlatformError``."""

    def _build(self, args: ArgsT) -> dict[str, Any]:
        """Create the children and return the outputs to expose and register."""
        raise NotImplementedError

    def child_name(self, role: str) -> str:
        """Return a child's logical name: ``f"{name}-{role}"`` (public; renames are breaking)."""
        return f"{self._name}-{role}"

    def child_opts(
        self, opts: pulumi.ResourceOptions | None = None, **kwargs: Any
    ) -> pulumi.ResourceOptions:
        """Return options for a child: parented to this component, merged with ``opts``.

        Providers flow from the parent, so a caller's ``opts.providers`` reach every child.
        """
        base = pulumi.ResourceOptions(parent=self)
        merged = pulumi.ResourceOptions.merge(base, opts)
        return (
            pulumi.ResourceOptions.merge(merged, pulumi.ResourceOptions(**kwargs))
            if kwargs
            else merged
        )

    def tags(self, resource_tags: Mapping[str, str] | None = None) -> dict[str, str]:
        """Return the tags for a child, merged in the precedence of :mod:`._internal.tags`."""
        user_tags = getattr(self.args, "tags", None)
        return merge_tags(self.TYPE_TOKEN, user_tags, resource_tags)
