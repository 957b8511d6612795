"""The public API: ``obs_platform.__all__``, its lazy loading, and the args' field types."""

from __future__ import annotations

import enum
import importlib
import subprocess
import sys
import typing

import pytest
from pydantic import BaseModel

import obs_platform


def test_all_is_sorted_and_matches_the_lazy_map() -> None:
    assert obs_platform.__all__ == sorted(obs_platform.__all__)
    eager = {"ArgsError", "ArgsProblem", "ObsPlatformError", "__version__"}
    assert set(obs_platform.__all__) == set(obs_platform._LAZY) | eager


@pytest.mark.parametrize("name", sorted(obs_platform._LAZY))
def test_every_lazy_name_is_the_defining_module_object(name: str) -> None:
    module = importlib.import_module(obs_platform._LAZY[name])
    assert getattr(obs_platform, name) is getattr(module, name)


def _classes(annotation: object) -> list[type]:
    found = [annotation] if isinstance(annotation, type) else []
    for arg in typing.get_args(annotation):
        found += _classes(arg)
    return [c for c in found if isinstance(c, type)]


def test_field_types_of_public_args_are_public() -> None:
    """A user can build every model and name every choice a public args field takes."""
    public = {getattr(obs_platform, n) for n in obs_platform.__all__ if n != "__version__"}
    models = [o for o in public if isinstance(o, type) and issubclass(o, BaseModel)]
    missing = {
        f"{model.__name__}.{field}: {cls.__module__}.{cls.__name__}"
        for model in models
        for field, info in model.model_fields.items()
        for cls in _classes(info.annotation)
        if cls.__module__.startswith("obs_platform")
        and issubclass(cls, BaseModel | enum.Enum)
        and cls not in public
    }
    assert not missing


def test_import_stays_lazy() -> None:
    code = (
        "import sys, obs_platform; "
        "print(sorted(m for m in ('pulumi_aws', 'pulumi_eks', 'pulumi_kubernetes') "
        "if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def _public_models() -> list[type[BaseModel]]:
    public = [getattr(obs_platform, n) for n in obs_platform.__all__ if n != "__version__"]
    return sorted(
        (o for o in public if isinstance(o, type) and issubclass(o, BaseModel)),
        key=lambda model: model.__name__,
    )


@pytest.mark.parametrize("model", _public_models(), ids=lambda model: model.__name__)
def test_every_public_model_raises_the_library_error(model: type[BaseModel]) -> None:
    """Built directly, a model raises ArgsError (a ValueError), never pydantic's dump."""
    with pytest.raises(obs_platform.ArgsError) as caught:
        model(drStrategy="x")
    message = str(caught.value)
    assert message.startswith(f"{model.__name__}: invalid arguments:\n")
    assert f"  {model.__name__}.drStrategy (got 'x'): unknown field; {model.__name__} has no" in (
        message
    )
    assert "errors.pydantic.dev" not in message and "For further information" not in message
    assert isinstance(caught.value, ValueError)
    with pytest.raises(obs_platform.ArgsError, match=rf"^{model.__name__}: invalid arguments"):
        model.model_validate({"drStrategy": "x"})


def test_cell_args_camel_case_gets_the_snake_case_name() -> None:
    with pytest.raises(obs_platform.ArgsError) as caught:
        obs_platform.CellArgs(region="eu-west-1", drStrategy="pilot-light")  # type: ignore[call-arg]
    assert str(caught.value) == (
        "CellArgs: invalid arguments:\n  CellArgs.drStrategy (got 'pilot-light'): unknown field; "
        "CellArgs has no such argument. Fix: did you mean 'dr_strategy'? Python argument names "
        "are snake_case"
    )
    assert caught.value.field == "CellArgs.drStrategy"
