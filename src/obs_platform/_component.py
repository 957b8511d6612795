"""The one base for every component: validated args, parented children, outputs registered.

Subclasses declare their type token and args model, implement :meth:`Component._build`, and get:

* args validated *before* anything is registered, so bad input never half-creates a stack,
  and the error names the component, the field, the value and the fix;
* ``child_opts`` that parent every child to the component and merge per-child options;
* outputs set as attributes and passed to ``register_outputs``, always, as the last step.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar

import pulumi

from ._internal.args_errors import args_error, did_you_mean, is_secret_field, masked, scrubbed
from ._internal.aws_names import COMPONENT_NAME_BUDGETS, longest_component_name
from ._internal.errors import ObsPlatformError
from ._internal.tags import merge_tags
from ._internal.types import ArgsModel

ArgsT = TypeVar("ArgsT", bound=ArgsModel)

__all__ = [
    "Component",
    "args_error",
    "check_component_name",
    "did_you_mean",
    "is_secret_field",
    "masked",
    "scrubbed",
    "validate_args",
]


def validate_args(
    args_type: type[ArgsT], args: ArgsT | Mapping[str, Any], *, component: str
) -> ArgsT:
    """Validate a component's args (a model or a plain dict) into the model.

    Args:
        args_type: The pydantic args model.
        args: What the caller passed.
        component: ``"<Type> '<name>'"``, for the message.

    Raises:
        ArgsError: Listing each field at fault with the value received and the fix.
        ObsPlatformError: If ``args`` is neither the model nor a dict.
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
    return args_type.model_validate(dict(args), component=component)


_NAME_CHARACTERS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
"""What a component name may hold: every child's name, ``Name`` tag and label derives from it,
and this is where the AWS tag character set (letters, digits, spaces, ``_ . : / = + - @``) and
the characters of AWS resource names meet."""


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
