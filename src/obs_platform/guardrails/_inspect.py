"""Pure helpers the rules share: reading inputs, relating resources, parsing policies.

Nothing here creates resources or imports a provider SDK at module import time.
"""

from __future__ import annotations

import functools
import importlib
import json
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..testing.plan import Plan, PlanResource

SECRET = "[secret]"
UNKNOWN = "[unknown]"


def is_unknown(value: Any) -> bool:
    """Return whether a plan value is known only after deploy."""
    return isinstance(value, str) and value == UNKNOWN


def dig(value: Any, *path: str | int) -> Any:
    """Return the value at ``path`` inside nested dicts and lists, or ``None``."""
    for key in path:
        if isinstance(key, int):
            if not isinstance(value, list) or key >= len(value):
                return None
            value = value[key]
        else:
            if not isinstance(value, Mapping):
                return None
            value = value.get(key)
    return value


def as_list(value: Any) -> list[Any]:
    """Return ``value`` as a list: a list as is, ``None`` as empty, anything else wrapped."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def maybe_json(value: Any) -> Any:
    """Decode a JSON-encoded string (provider inputs, policy documents); else return it as is."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def related(
    plan: Plan,
    resource: PlanResource,
    type_tokens: tuple[str, ...],
    key: str,
    target_keys: tuple[str, ...] = ("id",),
) -> list[PlanResource]:
    """Return resources of ``type_tokens`` whose input ``key`` refers to ``resource``.

    A reference is a match of the input's value with one of the target's ``target_keys``
    (outputs, else inputs), as AWS resources join by name, ID or ARN. When the input is unknown,
    the dependency graph decides: the referring resource depends on the target.
    """
    wanted = {
        v
        for k in target_keys
        for v in (resource.outputs.get(k), resource.inputs.get(k))
        if isinstance(v, str) and v and not is_unknown(v)
    }
    found = []
    for other in plan.resources:
        if other.type not in type_tokens:
            continue
        value = other.inputs.get(key)
        if isinstance(value, str) and not is_unknown(value):
            if value in wanted:
                found.append(other)
        elif resource.urn in other.depends_on:
            found.append(other)
    return found


def provider_of(plan: Plan, resource: PlanResource) -> PlanResource | None:
    """Return the explicit provider resource of ``resource``, if it has one in the plan."""
    if resource.provider is None:
        return None
    for other in plan.resources:
        if other.urn == resource.provider:
            return other
    return None


# ---------------------------------------------------------------------------------------------
# IAM policy documents


def statements(document: Any) -> list[dict[str, Any]]:
    """Return the statements of an IAM policy document (a JSON string or a dict)."""
    document = maybe_json(document)
    if not isinstance(document, Mapping):
        return []
    return [s for s in as_list(document.get("Statement")) if isinstance(s, dict)]


def _matches_all(values: Any, wildcard_forms: tuple[str, ...]) -> bool:
    return any(isinstance(v, str) and v in wildcard_forms for v in as_list(values))


def grants_admin(statement: Mapping[str, Any]) -> bool:
    """Return whether an Allow statement grants every action on every resource."""
    return (
        statement.get("Effect") == "Allow"
        and _matches_all(statement.get("Action"), ("*", "*:*"))
        and _matches_all(statement.get("Resource"), ("*",))
    )


def denies_insecure_transport(statement: Mapping[str, Any]) -> bool:
    """Return whether a statement denies every S3 action to everyone without TLS."""
    if statement.get("Effect") != "Deny":
        return False
    principal = statement.get("Principal")
    everyone = principal == "*" or (
        isinstance(principal, Mapping) and "*" in as_list(principal.get("AWS"))
    )
    if not everyone or not _matches_all(statement.get("Action"), ("*", "s3:*")):
        return False
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return False
    for operator in ("Bool", "BoolIfExists"):
        block = condition.get(operator)
        if isinstance(block, Mapping):
            values = [str(v).lower() for v in as_list(block.get("aws:SecureTransport"))]
            if "false" in values:
                return True
    return False


# ---------------------------------------------------------------------------------------------
# Secrets in inputs

_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_SECRET_LAST = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "token",
        "apikey",
        "credential",
        "credentials",
    }
)
_SECRET_PAIRS = frozenset(
    {
        ("api", "key"),
        ("private", "key"),
        ("access", "key"),
        ("secret", "key"),
        ("webhook", "url"),
        ("routing", "key"),
        ("service", "key"),
        ("integration", "key"),
        ("client", "secret"),
        ("secret", "string"),
        ("secret", "binary"),
        ("auth", "token"),
    }
)
_SECRET_VALUE_QUALIFIERS = frozenset(
    {
        "client",
        "shared",
        "jwt",
        "hmac",
        "signing",
        "app",
        "api",
        "cookie",
        "session",
        "webhook",
        "oauth",
        "encryption",
        "master",
        "admin",
    }
)
_REFERENCE_WORDS = frozenset(
    {
        "existing",
        "name",
        "names",
        "ref",
        "file",
        "path",
        "arn",
        "id",
        "ids",
        "key",
        "keys",
        "enabled",
        "enable",
        "length",
        "version",
        "type",
        "rotation",
        "policy",
        "selector",
        "mount",
        "env",
        "header",
        "field",
        "kms",
        "manage",
        "provider",
        "location",
    }
)
_VALUE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a Slack webhook URL", re.compile(r"https://hooks\.slack\.com/(services|workflows)/\S+")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[0-9A-Za-z-]{10,}")),
    ("an AWS access key ID", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("a GitHub token", re.compile(r"\bgh[pousr]_[0-9A-Za-z]{30,}")),
)
_PLACEHOLDER = re.compile(r"^\$(\{[^}]+\}|__(env|file)\{[^}]+\}|[A-Z_][A-Z0-9_]*)$")


def key_words(key: str) -> list[str]:
    """Split a camelCase, snake_case, kebab-case or dotted key into lower-case words."""
    return [w.lower() for w in _WORD.findall(key)]


def is_secret_key(key: str) -> bool:
    """Return whether a key names a secret value (not a reference to one).

    ``adminPassword``, ``api_key``, ``webhook_url`` and ``secretAccessKey`` name secrets;
    ``existingSecret``, ``passwordKey``, ``secretName`` and ``tokenFile`` name where a secret
    lives, which is what a value should hold instead.
    """
    words = key_words(key)
    if not words:
        return False
    joined = "".join(words)
    if joined in _SECRET_LAST:
        return True
    last = words[-1]
    if last in _REFERENCE_WORDS and not (len(words) >= 2 and (words[-2], last) in _SECRET_PAIRS):
        return False
    if words[0] == "existing":
        return False
    if last == "secret" and len(words) >= 2:
        # Helm charts name Kubernetes Secrets with ``<purpose>Secret`` (configSecret,
        # tlsSecret, envFromSecret); only a few spellings hold the secret itself.
        return words[-2] in _SECRET_VALUE_QUALIFIERS
    if last in _SECRET_LAST:
        return True
    return len(words) >= 2 and (words[-2], last) in _SECRET_PAIRS


def is_placeholder(value: str) -> bool:
    """Return whether a string is a reference resolved elsewhere (``${ENV}``, ``$__file{...}``)."""
    return bool(_PLACEHOLDER.match(value.strip()))


def secret_pattern(value: str) -> str | None:
    """Return the kind of credential a string looks like, or ``None``."""
    for label, pattern in _VALUE_PATTERNS:
        if pattern.search(value):
            return label
    return None


def plaintext_secrets(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Yield ``(path, why)`` for every plaintext secret-looking value inside ``value``.

    A value is plaintext when it is a non-empty string other than ``"[secret]"`` (a Pulumi
    secret) or ``"[unknown]"``; JSON strings are searched inside.
    """
    if isinstance(value, Mapping):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if (
                isinstance(item, str)
                and item
                and item not in (SECRET, UNKNOWN)
                and is_secret_key(str(key))
                and not is_placeholder(item)
                and item[:1] not in "{["
            ):
                yield child, f"key {key!r} holds a plaintext value"
                continue
            yield from plaintext_secrets(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from plaintext_secrets(item, f"{path}[{index}]")
    elif isinstance(value, str) and value not in (SECRET, UNKNOWN):
        decoded = maybe_json(value)
        if decoded is not value:
            yield from plaintext_secrets(decoded, path)
            return
        label = secret_pattern(value)
        if label:
            yield path, f"the value looks like {label}"


# ---------------------------------------------------------------------------------------------
# Taggable types


@functools.lru_cache(maxsize=512)
def accepts_tags(type_token: str) -> bool:
    """Return whether a pulumi-aws or pulumi-eks resource type takes a ``tags`` input.

    The installed SDK is the source of truth: ``aws:s3/bucket:Bucket`` is
    ``pulumi_aws.s3.Bucket``; the class is taggable when its constructor has ``tags``.
    """
    package, _, rest = type_token.partition(":")
    module_part, _, class_name = rest.partition(":")
    module_name = module_part.split("/")[0]
    root = {"aws": "pulumi_aws", "eks": "pulumi_eks"}.get(package)
    if root is None or not class_name:
        return False
    try:
        module = importlib.import_module(
            root if module_name == "index" else f"{root}.{module_name}"
        )
    except ImportError:
        return False
    cls = getattr(module, class_name, None)
    init = getattr(cls, "_internal_init", None) or getattr(cls, "__init__", None)
    code = getattr(init, "__code__", None)
    if code is None:
        return False
    return "tags" in code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
