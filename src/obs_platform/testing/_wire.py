"""Turn the Pulumi wire format (protobuf ``Struct`` with special signatures) into plain JSON.

The plan is a public contract (DESIGN.md section 3): secrets are written ``"[secret]"``, values
known only after deploy ``"[unknown]"``, resource references as the referenced URN.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format, struct_pb2

SECRET = "[secret]"
UNKNOWN = "[unknown]"

_UNKNOWN_WIRE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
_ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
_ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"


def struct_to_plain(struct: struct_pb2.Struct) -> dict[str, Any]:
    """Convert a registration's property struct to plain JSON values.

    Args:
        struct: The ``object`` (inputs) or ``outputs`` struct of a monitor request.
    """
    raw = json_format.MessageToDict(struct, preserving_proto_field_name=True)
    plain = to_plain(raw)
    return plain if isinstance(plain, dict) else {}


def to_plain(value: Any) -> Any:
    """Convert one decoded wire value, recursively.

    Args:
        value: A value as ``MessageToDict`` decodes it (numbers arrive as floats).
    """
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, str):
        return UNKNOWN if value == _UNKNOWN_WIRE else value
    if isinstance(value, list):
        return [to_plain(item) for item in value]
    if isinstance(value, dict):
        sig = value.get(_SIG_KEY)
        if sig == _SECRET_SIG:
            return SECRET
        if sig == _RESOURCE_SIG:
            return value.get("urn", UNKNOWN)
        if sig == _OUTPUT_SIG:
            if value.get("secret"):
                return SECRET
            return to_plain(value["value"]) if "value" in value else UNKNOWN
        if sig == _ASSET_SIG:
            return {"asset": value.get("path") or value.get("uri") or "[text]"}
        if sig == _ARCHIVE_SIG:
            return {"archive": value.get("path") or value.get("uri") or "[assets]"}
        return {key: to_plain(item) for key, item in value.items()}
    return value


def reveal(value: Any) -> Any:
    """Decode a wire value for computing answers: secrets unwrapped, unknowns ``None``.

    Args:
        value: A value as ``MessageToDict`` decodes it.
    """
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, str):
        return None if value == _UNKNOWN_WIRE else value
    if isinstance(value, list):
        return [reveal(item) for item in value]
    if isinstance(value, dict):
        sig = value.get(_SIG_KEY)
        if sig in (_SECRET_SIG, _OUTPUT_SIG):
            return reveal(value.get("value"))
        if sig == _RESOURCE_SIG:
            return value.get("urn")
        return {key: reveal(item) for key, item in value.items()}
    return value


def echo(value: Any) -> Any:
    """Prepare an input for echoing back as an output: secrets stay secret on the wire.

    Resource references become their URN, because the SDK cannot rehydrate every referenced
    type from a mock answer.
    """
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, list):
        return [echo(item) for item in value]
    if isinstance(value, dict):
        sig = value.get(_SIG_KEY)
        if sig == _SECRET_SIG:
            return {_SIG_KEY: _SECRET_SIG, "value": echo(value.get("value"))}
        if sig == _RESOURCE_SIG:
            return value.get("urn")
        if sig == _OUTPUT_SIG:
            inner = echo(value.get("value", _UNKNOWN_WIRE))
            return {_SIG_KEY: _SECRET_SIG, "value": inner} if value.get("secret") else inner
        return {key: echo(item) for key, item in value.items()}
    return value


def unknown() -> str:
    """Return the wire form of a value known only after deploy."""
    return _UNKNOWN_WIRE


def secret(value: Any) -> dict[str, Any]:
    """Return the wire form of a secret value."""
    return {_SIG_KEY: _SECRET_SIG, "value": value}


def resource_reference(urn: str, resource_id: str) -> dict[str, Any]:
    """Return the wire form of a reference to a custom resource."""
    return {_SIG_KEY: _RESOURCE_SIG, "urn": urn, "id": resource_id, "packageVersion": ""}


def to_struct(values: dict[str, Any]) -> struct_pb2.Struct:
    """Encode answer values (JSON types and wire-form dicts) as a property struct.

    Answers hold only JSON values, so the struct is filled directly; Pulumi's own
    ``rpc.serialize_properties`` would run an event loop per registration for the same result.
    Anything else (an ``Output`` or ``Resource`` an answer passed through) goes through it.
    """
    struct = struct_pb2.Struct()
    try:
        struct.update(values)
    except (TypeError, ValueError):
        from pulumi.runtime import rpc
        from pulumi.runtime.sync_await import _sync_await

        struct = _sync_await(rpc.serialize_properties(values, {}))
    return struct


def decode(struct: struct_pb2.Struct) -> dict[str, Any]:
    """Decode a property struct to a dict of wire values (signatures kept)."""
    decoded = json_format.MessageToDict(struct, preserving_proto_field_name=True)
    return decoded if isinstance(decoded, dict) else {}


def contains_secret(value: Any) -> bool:
    """Return whether a wire value holds a secret anywhere inside it."""
    if isinstance(value, dict):
        if value.get(_SIG_KEY) == _SECRET_SIG or (
            value.get(_SIG_KEY) == _OUTPUT_SIG and value.get("secret")
        ):
            return True
        return any(contains_secret(item) for item in value.values())
    if isinstance(value, list):
        return any(contains_secret(item) for item in value)
    return False


def contains(value: Any, needle: str) -> bool:
    """Return whether a plain value holds the marker ``needle`` anywhere inside it."""
    if value == needle:
        return True
    if isinstance(value, dict):
        return any(contains(item, needle) for item in value.values())
    if isinstance(value, list):
        return any(contains(item, needle) for item in value)
    return False
