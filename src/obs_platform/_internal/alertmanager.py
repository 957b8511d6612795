"""Typed Alertmanager routing (:class:`AlertingArgs`) and its configuration builder (pure).

Receiver URLs (Slack incoming-webhook URLs, webhook endpoints) are credentials. They are
``Input[str]`` and are meant to be Pulumi secrets (``config.require_secret(...)``). A plain string
is accepted too and is wrapped with ``pulumi.Output.secret`` by the resource code before it is
used, so it never appears in plaintext resource inputs or state; it still sits in your program
source, which is why a secret from stack config is the recommended form.

The resource code resolves the URLs inside ``Output.apply`` and calls
:func:`build_alertmanager_config` with the plain values; the result goes into a Kubernetes Secret
(never into Helm values).

Routing tree built from the args::

    route (default_receiver, group_by, timings)
    |- alertname="InfoInhibitor" -> "null" (kube-prometheus-stack's inhibition helper)
    |- alertname="Watchdog"  -> heartbeat_receiver (or "null"), repeated every heartbeat interval
    |- routes[0] (severity=~..., cell=~...) -> its receiver
    |- ...
    inhibit: severity="critical" silences severity="warning" with equal inhibit_equal_labels;
             critical or warning silences info likewise; InfoInhibitor silences info
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, Final, Self

from pydantic import Field, field_validator, model_validator

from .types import ArgsModel, Input

NULL_RECEIVER: Final = "null"
"""The built-in receiver that sends nothing (the default, and the heartbeat when none is set)."""

WATCHDOG_ALERT: Final = "Watchdog"
"""The always-firing alert routed to the heartbeat receiver."""

INFO_INHIBITOR_ALERT: Final = "InfoInhibitor"
"""kube-prometheus-stack's helper alert: routed to ``"null"``, used only to inhibit."""

_NAME_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"


class Severity(StrEnum):
    """Alert severities the library's rules use (the ``severity`` label)."""

    CRITICAL = "critical"
    """Needs a human now."""
    WARNING = "warning"
    """Needs attention soon; silenced while a critical of the same alert fires."""
    INFO = "info"
    """Informational."""


def _check_url(value: Any, *, schemes: tuple[str, ...]) -> Any:
    """Refuse a plain-string URL without an accepted scheme; never echo the URL (a secret)."""
    if isinstance(value, str) and not value.startswith(schemes):
        scheme = value.split("://", 1)[0] + "://" if "://" in value else "no scheme"
        raise ValueError(
            f"the URL must start with {' or '.join(schemes)}, got {scheme!r}; pass the full "
            "URL, preferably as a Pulumi secret (config.require_secret)."
        )
    return value


_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


def _check_label_names(value: tuple[str, ...]) -> tuple[str, ...]:
    bad = [name for name in value if not _LABEL_NAME.match(name)]
    if bad:
        raise ValueError(
            f"{bad!r} are not Prometheus label names; use letters, digits and underscores, "
            "not starting with a digit (for example 'alertname', 'cell')."
        )
    return value


class SlackReceiver(ArgsModel):
    """A Slack receiver (incoming webhook)."""

    name: str = Field(pattern=_NAME_PATTERN)
    """Receiver name routes refer to (lower-case letters, digits and dashes)."""
    api_url: Input[str]
    """The Slack incoming-webhook URL; a credential: pass a Pulumi secret."""
    channel: str | None = None
    """Channel override (``#alerts``); ``None`` uses the webhook's own channel."""
    send_resolved: bool = True
    """Also notify when the alert resolves."""

    @field_validator("api_url")
    @classmethod
    def _https(cls, value: Any) -> Any:
        return _check_url(value, schemes=("https://",))

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("#", "@")):
            raise ValueError(
                f"a Slack channel starts with '#' (or '@' for a user), got "
                f"{value!r}; write '#{value}'."
            )
        return value


class WebhookReceiver(ArgsModel):
    """A generic webhook receiver (Alertmanager's webhook JSON payload)."""

    name: str = Field(pattern=_NAME_PATTERN)
    """Receiver name routes refer to (lower-case letters, digits and dashes)."""
    url: Input[str]
    """The endpoint; a credential when it embeds a token: pass a Pulumi secret."""
    send_resolved: bool = True
    """Also notify when the alert resolves."""
    max_alerts: int = Field(default=0, ge=0)
    """Most alerts per message; 0 sends all."""

    @field_validator("url")
    @classmethod
    def _http(cls, value: Any) -> Any:
        return _check_url(value, schemes=("https://", "http://"))


class PagerDutyReceiver(ArgsModel):
    """A PagerDuty receiver (Events API v2, one service integration)."""

    name: str = Field(pattern=_NAME_PATTERN)
    """Receiver name routes refer to (lower-case letters, digits and dashes)."""
    routing_key: Input[str]
    """The integration's Events API v2 routing (integration) key; a credential: pass a Pulumi
    secret (it goes only into the Alertmanager configuration Secret)."""
    send_resolved: bool = True
    """Also resolve the PagerDuty incident when the alert resolves."""

    @field_validator("routing_key")
    @classmethod
    def _key(cls, value: Any) -> Any:
        if isinstance(value, str) and not re.fullmatch(r"[A-Za-z0-9]{32}", value):
            raise ValueError(
                "a PagerDuty Events API v2 routing key is 32 letters and digits (the "
                "integration key of an 'Events API v2' integration); check the value."
            )
        return value


class OpsgenieReceiver(ArgsModel):
    """An Opsgenie receiver (Alert API)."""

    name: str = Field(pattern=_NAME_PATTERN)
    """Receiver name routes refer to (lower-case letters, digits and dashes)."""
    api_key: Input[str]
    """The API integration's key; a credential: pass a Pulumi secret."""
    api_url: str = Field(
        default="https://api.opsgenie.com/", pattern=r"^https://api\.(eu\.)?opsgenie\.com/$"
    )
    """The Opsgenie API (``https://api.eu.opsgenie.com/`` for the EU instance)."""
    priority: str = '{{ if eq .CommonLabels.severity "critical" }}P1{{ else }}P3{{ end }}'
    """Alert priority (P1-P5), a template: P1 for critical alerts, else P3."""
    send_resolved: bool = True
    """Also close the Opsgenie alert when the alert resolves."""


class SnsReceiver(ArgsModel):
    """An Amazon SNS receiver: Alertmanager publishes to a topic with its own IAM role.

    The stack gives Alertmanager's service account a role allowed ``sns:Publish`` on the topic
    (a topic encrypted with a customer managed key also needs ``kms:GenerateDataKey*`` and
    ``kms:Decrypt`` on it in the key policy).
    """

    name: str = Field(pattern=_NAME_PATTERN)
    """Receiver name routes refer to (lower-case letters, digits and dashes)."""
    topic_arn: str = Field(pattern=r"^arn:aws:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")
    """The topic (``arn:aws:sns:<region>:<account>:<name>``); requests are signed for its
    region."""
    send_resolved: bool = True
    """Also publish when the alert resolves."""

    @property
    def region(self) -> str:
        """The topic's region (SigV4 signing region)."""
        return self.topic_arn.split(":")[3]


class EmailReceiver(ArgsModel):
    """An email receiver through an SMTP relay (such as Amazon SES's SMTP interface)."""

    name: str = Field(pattern=_NAME_PATTERN)
    """Receiver name routes refer to (lower-case letters, digits and dashes)."""
    to: tuple[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")], ...] = Field(
        min_length=1
    )
    """Recipients."""
    sender: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    """The ``From`` address."""
    smarthost: str = Field(pattern=r"^[A-Za-z0-9.-]+:\d{1,5}$")
    """The SMTP relay, ``host:port`` (``email-smtp.eu-west-1.amazonaws.com:587``)."""
    auth_username: str | None = None
    """SMTP user (``None``: no SMTP authentication)."""
    auth_password: Input[str] | None = None
    """SMTP password; a credential: pass a Pulumi secret."""
    require_tls: bool = True
    """Require STARTTLS."""
    send_resolved: bool = False
    """Also mail when the alert resolves."""

    @model_validator(mode="after")
    def _auth_pair(self) -> Self:
        if (self.auth_username is None) != (self.auth_password is None):
            raise ValueError(
                "auth_username and auth_password go together; set both (SMTP authentication) "
                "or neither."
            )
        return self


class AlertRoute(ArgsModel):
    """A route under the root: alerts matching every given condition go to ``receiver``."""

    receiver: str
    """Name of a Slack or webhook receiver (or ``"null"``)."""
    severities: tuple[Severity, ...] = ()
    """Match alerts with one of these severities; empty matches any severity."""
    cells: tuple[Annotated[str, Field(min_length=1, max_length=63)], ...] = ()
    """Match alerts whose ``cell`` label is one of these; empty matches any cell."""
    continue_matching: bool = False
    """Keep evaluating later routes after this one matches (Alertmanager's ``continue``)."""

    @model_validator(mode="after")
    def _not_catch_all(self) -> Self:
        if not self.severities and not self.cells:
            raise ValueError(
                f"a route to {self.receiver!r} has neither severities nor cells, "
                "so it would catch every alert; set one of them, or make "
                f"{self.receiver!r} the default_receiver instead."
            )
        return self


class AlertingArgs(ArgsModel):
    """Alertmanager routing: receivers, routes, grouping, inhibition, Watchdog heartbeat.

    Routes match by severity and by ``cell``; a critical alert silences the warning of the same
    alert (same ``inhibit_equal_labels``); the Watchdog goes to ``heartbeat_receiver``.

    ``AlertingArgs()`` is valid: every alert goes to the ``"null"`` receiver (nothing is sent)
    and the heartbeat is off. Add receivers and routes before relying on alerts.

    A receiver that no route, ``default_receiver`` or ``heartbeat_receiver`` uses, and a route to
    a receiver that does not exist, are refused at validation, before anything is created.
    """

    slack_receivers: tuple[SlackReceiver, ...] = ()
    """Slack receivers."""
    webhook_receivers: tuple[WebhookReceiver, ...] = ()
    """Webhook receivers."""
    pagerduty_receivers: tuple[PagerDutyReceiver, ...] = ()
    """PagerDuty receivers (Events API v2)."""
    opsgenie_receivers: tuple[OpsgenieReceiver, ...] = ()
    """Opsgenie receivers."""
    sns_receivers: tuple[SnsReceiver, ...] = ()
    """Amazon SNS receivers."""
    email_receivers: tuple[EmailReceiver, ...] = ()
    """Email receivers (SMTP)."""
    default_receiver: str = NULL_RECEIVER
    """Receiver of alerts no route matches; ``"null"`` drops them."""
    routes: tuple[AlertRoute, ...] = ()
    """Routes, evaluated in order after the Watchdog route."""
    heartbeat_receiver: str | None = None
    """Webhook receiver of the always-firing Watchdog alert (a dead man's switch service such as
    Healthchecks.io or an Opsgenie heartbeat); ``None`` routes it to ``"null"`` (heartbeat off)."""
    heartbeat_interval_seconds: int = Field(default=60, ge=30, le=3600)
    """How often the Watchdog is re-sent to the heartbeat receiver."""
    group_by: tuple[str, ...] = ("alertname", "cell")
    """Labels that group alerts into one notification."""
    group_wait_seconds: int = Field(default=30, ge=0, le=3600)
    """Wait before the first notification of a new group."""
    group_interval_seconds: int = Field(default=300, ge=1, le=86400)
    """Wait before notifying about alerts added to a group."""
    repeat_interval_seconds: int = Field(default=14400, ge=60, le=604800)
    """Wait before re-sending a notification for a still-firing group."""
    inhibit_equal_labels: tuple[str, ...] = ("alertname", "cell")
    """Labels a critical and a warning must share for the critical to silence the warning."""

    @field_validator("group_by")
    @classmethod
    def _group_by_labels(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if value == ("...",):  # Alertmanager's "group by every label"
            return value
        return _check_label_names(value)

    @field_validator("inhibit_equal_labels")
    @classmethod
    def _alertname_in_equal(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        _check_label_names(value)
        if "alertname" not in value:
            raise ValueError(
                f"inhibit_equal_labels {list(value)!r} lacks 'alertname', so a "
                "critical would silence unrelated warnings; add 'alertname'."
            )
        return value

    @model_validator(mode="after")
    def _check_receivers(self) -> Self:
        names = [r.name for r in self.all_receivers()]
        seen: set[str] = set()
        for name in names:
            if name == NULL_RECEIVER:
                raise ValueError(
                    f"the receiver name {NULL_RECEIVER!r} is reserved for the "
                    "built-in receiver that sends nothing; choose another name."
                )
            if name in seen:
                raise ValueError(
                    f"two receivers are named {name!r}; receiver names must be "
                    "unique across all receivers."
                )
            seen.add(name)
        known = seen | {NULL_RECEIVER}
        wanted = [("default_receiver", self.default_receiver)]
        wanted += [(f"routes[{i}].receiver", r.receiver) for i, r in enumerate(self.routes)]
        if self.heartbeat_receiver is not None:
            wanted.append(("heartbeat_receiver", self.heartbeat_receiver))
        for where, name in wanted:
            if name not in known:
                raise ValueError(
                    f"{where} is {name!r}, which is no receiver; known receivers: "
                    f"{sorted(known)}. Define it in one of the *_receivers fields, or fix "
                    "the name."
                )
        webhooks = {r.name for r in self.webhook_receivers}
        if self.heartbeat_receiver is not None and self.heartbeat_receiver not in webhooks:
            raise ValueError(
                f"heartbeat_receiver {self.heartbeat_receiver!r} is not a webhook "
                "receiver; a heartbeat goes to a dead man's switch endpoint, so "
                "name one of webhook_receivers."
            )
        used = {name for _, name in wanted}
        unused = sorted(seen - used)
        if unused:
            raise ValueError(
                f"receiver(s) {unused} are defined but no route, default_receiver "
                "or heartbeat_receiver uses them; add a route to them or remove "
                "them."
            )
        return self

    def all_receivers(
        self,
    ) -> list[
        SlackReceiver
        | WebhookReceiver
        | PagerDutyReceiver
        | OpsgenieReceiver
        | SnsReceiver
        | EmailReceiver
    ]:
        """Return every receiver, in field order."""
        return [
            *self.slack_receivers,
            *self.webhook_receivers,
            *self.pagerduty_receivers,
            *self.opsgenie_receivers,
            *self.sns_receivers,
            *self.email_receivers,
        ]

    def receiver_urls(self) -> dict[str, Input[str]]:
        """Return each receiver's credential by receiver name (to resolve inside ``.apply``).

        The Slack and webhook URLs, PagerDuty routing keys, Opsgenie API keys and SMTP
        passwords; SNS receivers have none (Alertmanager signs with its IAM role).
        """
        urls: dict[str, Input[str]] = {r.name: r.api_url for r in self.slack_receivers}
        urls.update({r.name: r.url for r in self.webhook_receivers})
        urls.update({r.name: r.routing_key for r in self.pagerduty_receivers})
        urls.update({r.name: r.api_key for r in self.opsgenie_receivers})
        urls.update(
            {r.name: r.auth_password for r in self.email_receivers if r.auth_password is not None}
        )
        return urls


def _seconds(value: int) -> str:
    hours, rest = divmod(value, 3600)
    minutes, secs = divmod(rest, 60)
    text = (
        (f"{hours}h" if hours else "")
        + (f"{minutes}m" if minutes else "")
        + (f"{secs}s" if secs else "")
    )
    return text or "0s"


def _regex_matcher(label: str, values: tuple[str, ...]) -> str:
    escaped = "|".join(
        v.replace("\\", "\\\\").replace('"', '\\"').replace(".", "\\\\.") for v in values
    )
    return f'{label}=~"{escaped}"'


SLACK_TITLE: Final = (
    '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:'
    "{{ .Alerts.Firing | len }}{{ end }}] {{ .CommonLabels.alertname }}"
    "{{ with .CommonLabels.cell }} ({{ . }}){{ end }}"
)
"""Slack message title: status, count, alert name and cell."""

SLACK_TEXT: Final = (
    "{{ range .Alerts }}*{{ .Labels.severity }}*: {{ .Annotations.summary }}\n"
    "{{ .Annotations.description }}\n"
    "<{{ .Annotations.runbook_url }}|Runbook>\n{{ end }}"
)
"""Slack message text: each alert's summary, description and runbook link."""


def _check_resolved(receiver: str, url: Any, schemes: tuple[str, ...]) -> None:
    if not isinstance(url, str):
        raise ValueError(
            f"receiver {receiver!r}: the URL resolved to a {type(url).__name__}, "
            "not a string; pass a string secret."
        )
    try:
        _check_url(url, schemes=schemes)
    except ValueError as exc:
        raise ValueError(f"receiver {receiver!r}: {exc}") from None


def build_alertmanager_config(args: AlertingArgs, urls: Mapping[str, str]) -> dict[str, Any]:
    """Return the Alertmanager configuration (``alertmanager.yaml``) for ``args``.

    Args:
        args: Validated routing.
        urls: Each receiver's resolved URL by name (all of :meth:`AlertingArgs.receiver_urls`).

    Raises:
        ValueError: A receiver's URL is missing from ``urls``.
    """
    missing = sorted(set(args.receiver_urls()) - set(urls))
    if missing:
        raise ValueError(
            f"no resolved URL for receiver(s) {missing}; pass every name of "
            "AlertingArgs.receiver_urls()."
        )
    # URLs given as Outputs are only known here: check them now (without echoing them).
    for slack in args.slack_receivers:
        _check_resolved(slack.name, urls[slack.name], ("https://",))
    for hook in args.webhook_receivers:
        _check_resolved(hook.name, urls[hook.name], ("https://", "http://"))
    receivers: list[dict[str, Any]] = [{"name": NULL_RECEIVER}]
    for slack in args.slack_receivers:
        slack_config: dict[str, Any] = {
            "api_url": urls[slack.name],
            "send_resolved": slack.send_resolved,
            "title": SLACK_TITLE,
            "text": SLACK_TEXT,
        }
        if slack.channel:
            slack_config["channel"] = slack.channel
        receivers.append({"name": slack.name, "slack_configs": [slack_config]})
    for hook in args.webhook_receivers:
        receivers.append(
            {
                "name": hook.name,
                "webhook_configs": [
                    {
                        "url": urls[hook.name],
                        "send_resolved": hook.send_resolved,
                        "max_alerts": hook.max_alerts,
                    }
                ],
            }
        )
    for pager in args.pagerduty_receivers:
        receivers.append(
            {
                "name": pager.name,
                "pagerduty_configs": [
                    {
                        "routing_key": urls[pager.name],
                        "send_resolved": pager.send_resolved,
                        "severity": "{{ if .CommonLabels.severity }}{{ .CommonLabels.severity }}"
                        "{{ else }}critical{{ end }}",
                        "description": SLACK_TITLE,
                    }
                ],
            }
        )
    for genie in args.opsgenie_receivers:
        receivers.append(
            {
                "name": genie.name,
                "opsgenie_configs": [
                    {
                        "api_key": urls[genie.name],
                        "api_url": genie.api_url,
                        "message": SLACK_TITLE,
                        "priority": genie.priority,
                        "send_resolved": genie.send_resolved,
                    }
                ],
            }
        )
    for topic in args.sns_receivers:
        receivers.append(
            {
                "name": topic.name,
                "sns_configs": [
                    {
                        "topic_arn": topic.topic_arn,
                        # No keys: the AWS SDK's default chain finds the pod's role.
                        "sigv4": {"region": topic.region},
                        "subject": SLACK_TITLE,
                        "send_resolved": topic.send_resolved,
                    }
                ],
            }
        )
    for mail in args.email_receivers:
        email: dict[str, Any] = {
            "to": ", ".join(mail.to),
            "from": mail.sender,
            "smarthost": mail.smarthost,
            "require_tls": mail.require_tls,
            "send_resolved": mail.send_resolved,
        }
        if mail.auth_username is not None:
            email["auth_username"] = mail.auth_username
            email["auth_password"] = urls[mail.name]
        receivers.append({"name": mail.name, "email_configs": [email]})
    heartbeat_interval = _seconds(args.heartbeat_interval_seconds)
    routes: list[dict[str, Any]] = [
        {
            "receiver": NULL_RECEIVER,
            "matchers": [f'alertname="{INFO_INHIBITOR_ALERT}"'],
            "continue": False,
        },
        {
            "receiver": args.heartbeat_receiver or NULL_RECEIVER,
            "matchers": [f'alertname="{WATCHDOG_ALERT}"'],
            "group_wait": "0s",
            "group_interval": heartbeat_interval,
            "repeat_interval": heartbeat_interval,
            "continue": False,
        },
    ]
    for route in args.routes:
        matchers = []
        if route.severities:
            matchers.append(_regex_matcher("severity", tuple(s.value for s in route.severities)))
        if route.cells:
            matchers.append(_regex_matcher("cell", route.cells))
        routes.append(
            {"receiver": route.receiver, "matchers": matchers, "continue": route.continue_matching}
        )
    return {
        "route": {
            "receiver": args.default_receiver,
            "group_by": list(args.group_by),
            "group_wait": _seconds(args.group_wait_seconds),
            "group_interval": _seconds(args.group_interval_seconds),
            "repeat_interval": _seconds(args.repeat_interval_seconds),
            "routes": routes,
        },
        "inhibit_rules": [
            {
                "source_matchers": [f'severity="{Severity.CRITICAL.value}"'],
                "target_matchers": [f'severity="{Severity.WARNING.value}"'],
                "equal": list(args.inhibit_equal_labels),
            },
            {
                "source_matchers": [
                    f'severity=~"{Severity.CRITICAL.value}|{Severity.WARNING.value}"'
                ],
                "target_matchers": [f'severity="{Severity.INFO.value}"'],
                "equal": list(args.inhibit_equal_labels),
            },
            # kube-prometheus-stack's InfoInhibitor silences info alerts of a namespace that
            # already has a warning or critical alert; it is never sent itself.
            {
                "source_matchers": [f'alertname="{INFO_INHIBITOR_ALERT}"'],
                "target_matchers": [f'severity="{Severity.INFO.value}"'],
                "equal": ["namespace"],
            },
        ],
        "receivers": receivers,
    }


MASKED_URL: Final = "https://masked.invalid/secret"
"""What a secret URL reads as in the masked configuration (a valid URL, so amtool loads it)."""

MASKED_VALUE: Final = "[secret]"
"""What any other secret (a routing key, API key, password) reads as in the masked one."""


def masked_alertmanager_config(args: AlertingArgs) -> dict[str, Any]:
    """Return the Alertmanager configuration with every credential masked.

    The routing tree, inhibitions and receivers are exactly those of
    :func:`build_alertmanager_config`; URLs read :data:`MASKED_URL` and other credentials
    :data:`MASKED_VALUE`. It loads in ``amtool check-config`` and ``amtool config routes test``,
    so a user can test routes against the plan without any secret.
    """
    urls = {r.name: MASKED_URL for r in args.slack_receivers}
    urls.update({r.name: MASKED_URL for r in args.webhook_receivers})
    for name in args.receiver_urls():
        urls.setdefault(name, MASKED_VALUE)
    return build_alertmanager_config(args, urls)


def masked_alertmanager_yaml(args: AlertingArgs) -> str:
    """Return :func:`masked_alertmanager_config` as the YAML ``alertmanager.yaml`` would be."""
    import yaml

    return yaml.safe_dump(masked_alertmanager_config(args), sort_keys=False)


def sns_publish_policy(topic_arns: list[str]) -> str:
    """The Alertmanager role's policy: ``sns:Publish`` on the SNS receivers' topics only."""
    import json

    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PublishAlerts",
                    "Effect": "Allow",
                    "Action": "sns:Publish",
                    "Resource": sorted(set(topic_arns)),
                }
            ],
        }
    )
