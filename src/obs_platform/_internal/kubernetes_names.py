"""Kubernetes' rules for object names, namespaces, label keys and label values.

The API server refuses an object whose ``metadata`` breaks these rules, so ``pulumi preview``
(server-side dry run) and ``pulumi up`` fail on them; the offline engine applies the same ones
(:mod:`obs_platform.testing`). Rules and messages are apimachinery's:

* ``k8s.io/apimachinery/pkg/util/validation/validation.go`` (also
  ``pkg/api/validate/content``): ``IsDNS1123Label`` (63 characters,
  ``[a-z0-9]([-a-z0-9]*[a-z0-9])?``), ``IsDNS1123Subdomain`` (253, labels joined by ``.``),
  ``IsDNS1035Label`` (63, starting with a letter), ``IsQualifiedName`` (label and annotation
  keys: an optional DNS-subdomain prefix and ``/``, then a name of at most 63 alphanumerics,
  ``-``, ``_``, ``.``), ``IsValidLabelValue`` (at most 63, empty allowed), ``MaxLenError``
  and ``RegexError`` (the wording of each message);
* ``k8s.io/apimachinery/pkg/api/validation/path``: ``IsValidPathSegmentName`` (RBAC names);
* which rule a kind's name follows, from ``k8s.io/kubernetes/pkg/apis/*/validation``:
  ``ValidateNamespaceName`` is a DNS-1123 label, ``ValidateServiceName`` a DNS-1035 label,
  ``ValidateRBACName`` a path segment, a CronJob's name at most 52 characters (its Jobs append
  11), and every other built-in and custom resource a DNS-1123 subdomain
  (``NameIsDNSSubdomain``); ``ValidateObjectMeta`` checks ``metadata.namespace`` as a namespace
  name and ``ValidateLabels`` every label;
* Helm's release names (``helm.sh/helm/v3/pkg/chartutil/validate_name.go``,
  ``ValidateReleaseName``): a DNS-1123 subdomain of at most 53 characters (Helm keeps 10 of the
  63 for the chart's suffixes).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

_DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN = _DNS1123_LABEL + r"(\." + _DNS1123_LABEL + ")*"
_DNS1035_LABEL = "[a-z]([-a-z0-9]*[a-z0-9])?"
_QUALIFIED_NAME = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE = "(" + _QUALIFIED_NAME + ")?"

LABEL_MAX = 63
SUBDOMAIN_MAX = 253
CRONJOB_NAME_MAX = 52
HELM_RELEASE_NAME_MAX = 53


def _max_len(length: int) -> str:
    return f"must be no more than {length} characters"


def _regex_error(message: str, pattern: str, *examples: str) -> str:
    # apimachinery's RegexError, spacing included ("'my-name',  or '123-abc', ").
    shown = " or ".join(f"'{example}', " for example in examples)
    return f"{message} (e.g. {shown}regex used for validation is '{pattern}')"


def _matches(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern, value) is not None


def dns1123_label(value: str) -> list[str]:
    """Return apimachinery's ``IsDNS1123Label`` messages for ``value`` (empty when valid)."""
    errors = [_max_len(LABEL_MAX)] if len(value) > LABEL_MAX else []
    if not _matches(_DNS1123_LABEL, value):
        if _matches(_DNS1123_SUBDOMAIN, value):
            errors.append("must not contain dots")
        else:
            errors.append(
                _regex_error(
                    "a lowercase RFC 1123 label must consist of lower case alphanumeric "
                    "characters or '-', and must start and end with an alphanumeric character",
                    _DNS1123_LABEL,
                    "my-name",
                    "123-abc",
                )
            )
    return errors


def dns1123_subdomain(value: str) -> list[str]:
    """Return apimachinery's ``IsDNS1123Subdomain`` messages for ``value``."""
    errors = [_max_len(SUBDOMAIN_MAX)] if len(value) > SUBDOMAIN_MAX else []
    if not _matches(_DNS1123_SUBDOMAIN, value):
        errors.append(
            _regex_error(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                "characters, '-' or '.', and must start and end with an alphanumeric character",
                _DNS1123_SUBDOMAIN,
                "example.com",
            )
        )
    return errors


def dns1035_label(value: str) -> list[str]:
    """Return apimachinery's ``IsDNS1035Label`` messages for ``value``."""
    errors = [_max_len(LABEL_MAX)] if len(value) > LABEL_MAX else []
    if not _matches(_DNS1035_LABEL, value):
        errors.append(
            _regex_error(
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
                "start with an alphabetic character, and end with an alphanumeric character",
                _DNS1035_LABEL,
                "my-name",
                "abc-123",
            )
        )
    return errors


def path_segment_name(value: str) -> list[str]:
    """Return ``IsValidPathSegmentName`` messages (the names of RBAC objects)."""
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in value]


def _cronjob_name(value: str) -> list[str]:
    errors = dns1123_subdomain(value)
    return [*errors, _max_len(CRONJOB_NAME_MAX)] if len(value) > CRONJOB_NAME_MAX else errors


def helm_release_name(value: str) -> list[str]:
    """Return Helm's ``ValidateReleaseName`` message for ``value`` (empty when valid)."""
    if value and len(value) <= HELM_RELEASE_NAME_MAX and _matches(_DNS1123_SUBDOMAIN, value):
        return []
    return [
        f"invalid release name, must match regex ^{_DNS1123_SUBDOMAIN}$ and the length must "
        f"not be longer than {HELM_RELEASE_NAME_MAX}"
    ]


_QUALIFIED_NAME_ERROR = _regex_error(
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character",
    _QUALIFIED_NAME,
    "MyName",
    "my.name",
    "123-abc",
)


def qualified_name(value: str) -> list[str]:
    """Return apimachinery's ``IsQualifiedName`` messages (label and annotation keys)."""
    errors: list[str] = []
    parts = value.split("/")
    if len(parts) > 2:
        return [
            "a qualified name "
            + _QUALIFIED_NAME_ERROR
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errors.append("prefix part must be non-empty")
        else:
            errors += [f"prefix part {m}" for m in dns1123_subdomain(prefix)]
    if not name:
        errors.append("name part must be non-empty")
    elif len(name) > LABEL_MAX:
        errors.append(f"name part {_max_len(LABEL_MAX)}")
    if not _matches(_QUALIFIED_NAME, name):
        errors.append("name part " + _QUALIFIED_NAME_ERROR)
    return errors


def label_value(value: str) -> list[str]:
    """Return apimachinery's ``IsValidLabelValue`` messages for ``value``."""
    errors = [_max_len(LABEL_MAX)] if len(value) > LABEL_MAX else []
    if not _matches(_LABEL_VALUE, value):
        errors.append(
            _regex_error(
                "a valid label must be an empty string or consist of alphanumeric characters, "
                "'-', '_' or '.', and must start and end with an alphanumeric character",
                _LABEL_VALUE,
                "MyValue",
                "my_value",
                "12345",
            )
        )
    return errors


@dataclass(frozen=True)
class NameRule:
    """How the API server checks one kind's ``metadata.name``.

    Attributes:
        check: Returns the messages for a name (empty when valid).
        summary: The rule in a few words, for the fix.
        source: Where the rule is, in Kubernetes' sources.
    """

    check: Callable[[str], list[str]]
    summary: str
    source: str


SUBDOMAIN_RULE = NameRule(
    dns1123_subdomain,
    "a DNS-1123 subdomain: at most 253 lowercase letters, digits, '-' and '.', starting and "
    "ending with a letter or digit",
    "k8s.io/apimachinery/pkg/api/validation NameIsDNSSubdomain",
)
NAME_RULES: Mapping[str, NameRule] = {
    "Namespace": NameRule(
        dns1123_label,
        "a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending "
        "with a letter or digit",
        "k8s.io/kubernetes/pkg/apis/core/validation ValidateNamespaceName (NameIsDNSLabel)",
    ),
    "Service": NameRule(
        dns1035_label,
        "a DNS-1035 label: at most 63 lowercase letters, digits and '-', starting with a letter "
        "and ending with a letter or digit",
        "k8s.io/kubernetes/pkg/apis/core/validation ValidateServiceName (NameIsDNS1035Label)",
    ),
    "CronJob": NameRule(
        _cronjob_name,
        "a DNS-1123 subdomain of at most 52 characters (its Jobs' names append 11)",
        "k8s.io/kubernetes/pkg/apis/batch/validation ValidateCronJob",
    ),
    **{
        kind: NameRule(
            path_segment_name,
            "a path segment: not '.' or '..', and without '/' or '%'",
            "k8s.io/kubernetes/pkg/apis/rbac/validation ValidateRBACName "
            "(path.IsValidPathSegmentName)",
        )
        for kind in ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
    },
}
"""The kinds whose names are not DNS-1123 subdomains (:data:`SUBDOMAIN_RULE`)."""

NAMESPACE_RULE = NAME_RULES["Namespace"]
"""``metadata.namespace`` and a Helm release's namespace: a namespace's own name."""

_LABELS_SOURCE = "k8s.io/apimachinery/pkg/apis/meta/v1/validation ValidateLabels"
LABEL_KEY_RULE = NameRule(
    qualified_name,
    "a label key: an optional DNS subdomain prefix and '/', then at most 63 letters, digits, "
    "'-', '_' or '.', starting and ending with a letter or digit",
    _LABELS_SOURCE,
)
LABEL_VALUE_RULE = NameRule(
    label_value,
    "a label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a "
    "letter or digit (or empty)",
    _LABELS_SOURCE,
)
ANNOTATION_KEY_RULE = NameRule(
    qualified_name,
    "an annotation key: an optional DNS subdomain prefix and '/', then at most 63 letters, "
    "digits, '-', '_' or '.'",
    "k8s.io/apimachinery/pkg/api/validation ValidateAnnotations",
)
HELM_RELEASE_RULE = NameRule(
    helm_release_name,
    "a release name of at most 53 lowercase letters, digits, '-' and '.'",
    "helm.sh/helm/v3/pkg/chartutil ValidateReleaseName",
)


def name_rule(kind: str) -> NameRule:
    """Return the rule ``metadata.name`` of ``kind`` follows."""
    return NAME_RULES.get(kind, SUBDOMAIN_RULE)
