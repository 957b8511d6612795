"""Guardrails for API Gateway: no open catch-all route, access logs on every stage.

* ``apigw-default-route-authorized``: an HTTP or WebSocket API's ``$default`` route "acts as a
  catch-all for any request made to your API" (botocore ``apigatewayv2`` model,
  ``CreateApiRequest.RouteKey``); with ``authorization_type`` unset or ``NONE`` ("NONE for open
  access", ``CreateRouteRequest.AuthorizationType``) every path reaches the integration
  without a credential. An API made by *quick create* (``target`` on ``aws.apigatewayv2.Api``)
  gets such a route, "a default catch-all route" (``CreateApiRequest.Target``), unless
  ``route_key`` names another. Route only what you serve (a cell routes ``GET /healthz`` and
  its ``api_routes``), or give ``$default`` an authorizer.
* ``apigw-access-logs``: every stage (``aws.apigatewayv2.Stage``, ``aws.apigateway.Stage``)
  sends access logs to CloudWatch Logs: ``access_log_settings`` with a ``destination_arn`` and a
  ``format``, which for HTTP and WebSocket APIs "must include at least $context.requestId"
  (``AccessLogSettings.Format``). Quick create's default stage has none, so an API made by quick
  create is flagged too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ._inspect import is_unknown
from ._model import Finding, RuleContext

if TYPE_CHECKING:
    from ..testing.plan import PlanResource

__all__ = ["api_access_logs", "api_default_route_authorized"]

HTTP_API = "aws:apigatewayv2/api:Api"
HTTP_ROUTE = "aws:apigatewayv2/route:Route"
HTTP_STAGE = "aws:apigatewayv2/stage:Stage"
REST_STAGE = "aws:apigateway/stage:Stage"
DEFAULT_ROUTE = "$default"
REQUEST_ID = "$context.requestId"


def _quick_create(api: PlanResource) -> bool:
    """Whether the API is made by quick create with the ``$default`` route."""
    target = api.inputs.get("target")
    route_key = api.inputs.get("routeKey")
    return bool(target) and route_key in (None, DEFAULT_ROUTE)


def api_default_route_authorized(ctx: RuleContext) -> Iterator[Finding]:
    """No ``$default`` route without authorization (nor one made by quick create)."""
    for resource in ctx.plan.resources:
        if resource.type == HTTP_ROUTE and resource.inputs.get("routeKey") == DEFAULT_ROUTE:
            kind = resource.inputs.get("authorizationType")
            if kind in (None, "NONE"):
                yield Finding(
                    resource, f"route $default has authorizationType {kind!r} (open access)"
                )
        elif resource.type == HTTP_API and _quick_create(resource):
            yield Finding(
                resource,
                "quick create (target set) makes an unauthenticated $default route",
            )


def _stage_problem(stage: PlanResource) -> str | None:
    settings: Any = stage.inputs.get("accessLogSettings")
    if is_unknown(settings):
        return None
    if not isinstance(settings, dict) or not settings.get("destinationArn"):
        return f"accessLogSettings is {settings!r}: no destinationArn"
    fmt = settings.get("format")
    if not fmt:
        return "accessLogSettings has no format"
    if stage.type == HTTP_STAGE and not is_unknown(fmt) and REQUEST_ID not in str(fmt):
        return f"the access log format does not include {REQUEST_ID}"
    return None


def api_access_logs(ctx: RuleContext) -> Iterator[Finding]:
    """Every API Gateway stage logs access to CloudWatch Logs."""
    for resource in ctx.plan.resources:
        if resource.type in (HTTP_STAGE, REST_STAGE):
            problem = _stage_problem(resource)
            if problem:
                yield Finding(resource, problem)
        elif resource.type == HTTP_API and resource.inputs.get("target"):
            yield Finding(resource, "quick create (target set) makes a stage without access logs")
