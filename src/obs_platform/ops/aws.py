"""boto3 clients for DR operations, and the translation of AWS failures into operator messages.

Every call goes through :meth:`AwsContext.call`, which turns missing credentials, throttling,
timeouts, unknown resources and denied permissions into an :class:`OpsError` that says what
happened and what to do; no botocore traceback reaches the terminal.
"""

from __future__ import annotations

import os
from typing import Any

from .errors import OpsError

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "PriorRequestNotComplete",
        "ProvisionedThroughputExceededException",
    }
)
TIMEOUT_CODES = frozenset({"RequestTimeout", "RequestTimeoutException", "RequestExpired"})
CREDENTIAL_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "AuthFailure",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "MissingAuthenticationToken",
    }
)
NOT_FOUND_CODES = frozenset(
    {
        "ResourceNotFoundException",
        "ResourceNotFound",
        "NotFoundException",
        "GlobalClusterNotFoundFault",
        "DBClusterNotFoundFault",
        "NoSuchHealthCheck",
        "NoSuchEntity",
    }
)
GLOBAL_SERVICE_REGION = {"route53": "us-east-1", "iam": "us-east-1"}
"""Services with one endpoint: Route 53's and IAM's APIs live in us-east-1 (IAM's control
plane, which AttachRolePolicy uses, is in us-east-1: IAM user guide, *Resilience in IAM*)."""


class AwsContext:
    """Creates and caches boto3 clients per (service, region) with bounded retries and timeouts.

    Args:
        profile: The AWS profile, or ``None`` for the default credential chain.
        endpoint_url: Send every call here (a local emulator); ``None`` uses AWS (and honours
            ``AWS_ENDPOINT_URL``).
        max_attempts: Attempts per call, retries included (botocore's standard retry mode backs
            off on throttling).
        connect_timeout_seconds: TCP connect timeout per attempt.
        read_timeout_seconds: Read timeout per attempt.
    """

    def __init__(
        self,
        *,
        profile: str | None = None,
        endpoint_url: str | None = None,
        max_attempts: int = 5,
        connect_timeout_seconds: float = 5.0,
        read_timeout_seconds: float = 30.0,
    ) -> None:
        self.profile = profile
        self.endpoint_url = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
        self.max_attempts = max_attempts
        self.connect_timeout_seconds = connect_timeout_seconds
        self.read_timeout_seconds = read_timeout_seconds
        self._session: Any = None
        self._clients: dict[tuple[str, str], Any] = {}

    def _boto_session(self) -> Any:
        if self._session is None:
            import boto3
            import botocore.exceptions

            try:
                self._session = boto3.session.Session(profile_name=self.profile)
            except botocore.exceptions.ProfileNotFound:
                raise OpsError(
                    f"AWS profile {self.profile!r} is not configured",
                    fix="pass an existing --profile or set up credentials.",
                ) from None
        return self._session

    def _make_client(self, service: str, region: str) -> Any:
        """Create one client; tests replace this to route calls to stubs."""
        from botocore.config import Config

        config = Config(
            retries={"max_attempts": self.max_attempts, "mode": "standard"},
            connect_timeout=self.connect_timeout_seconds,
            read_timeout=self.read_timeout_seconds,
        )
        return self._boto_session().client(
            service, region_name=region, endpoint_url=self.endpoint_url, config=config
        )

    def client(self, service: str, region: str) -> Any:
        """Return the cached client for a service in a region."""
        region = GLOBAL_SERVICE_REGION.get(service, region)
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self._make_client(service, region)
        return self._clients[key]

    def call(self, service: str, region: str, operation: str, **params: Any) -> dict[str, Any]:
        """Call one AWS operation and return its response.

        Raises:
            OpsError: For every AWS or network failure, with the cause and the fix.
        """
        try:
            method = getattr(self.client(service, region), operation)
            response: dict[str, Any] = method(**params)
        except OpsError:
            raise
        except Exception as exc:
            raise translate(exc, service, operation, region, self.max_attempts) from None
        return response


def error_code(exc: BaseException) -> str | None:
    """Return the AWS error code of a ``ClientError``, else ``None``."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


def translate(
    exc: BaseException, service: str, operation: str, region: str, attempts: int = 1
) -> OpsError:
    """Turn a boto3/botocore exception into an :class:`OpsError` an operator can act on."""
    import botocore.exceptions as bex

    where = f"{service} {operation} in {region}"
    if isinstance(
        exc, bex.NoCredentialsError | bex.PartialCredentialsError | bex.CredentialRetrievalError
    ):
        return OpsError(
            f"no usable AWS credentials for {where}: {exc}",
            fix="set AWS_PROFILE (or pass --profile), run `aws sso login`, or export "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.",
        )
    if isinstance(
        exc,
        bex.ConnectTimeoutError
        | bex.ReadTimeoutError
        | bex.EndpointConnectionError
        | bex.ConnectionClosedError,
    ):
        return OpsError(
            f"{where} timed out or could not connect: {exc}",
            fix="check the network and that the region is up; re-run the same command to resume.",
            exit_code=3,
            resumable=True,
        )
    if isinstance(exc, bex.ParamValidationError):
        return OpsError(
            f"{where} rejected its parameters: {exc}",
            fix="check the names passed on the command line.",
        )
    if isinstance(exc, bex.ClientError):
        code = error_code(exc) or "Unknown"
        message = exc.response.get("Error", {}).get("Message") or str(exc)
        if code in THROTTLING_CODES:
            return OpsError(
                f"AWS throttled {where} ({code}) after {attempts} attempt(s)",
                fix="wait a minute and re-run the same command to resume; raise "
                "--max-attempts for more retries.",
                exit_code=3,
                resumable=True,
            )
        if code in TIMEOUT_CODES:
            return OpsError(
                f"{where} timed out ({code}): {message}",
                fix="re-run the same command to resume.",
                exit_code=3,
                resumable=True,
            )
        if code in CREDENTIAL_CODES:
            return OpsError(
                f"AWS rejected the credentials for {where} ({code}): {message}",
                fix="refresh them (`aws sso login`) or set AWS_PROFILE.",
            )
        if code.startswith("AccessDenied") or code in {
            "UnauthorizedOperation",
            "AuthorizationError",
        }:
            return OpsError(
                f"not allowed: {where} ({code}): {message}",
                fix=f"grant {service}:{_action(operation)} to the role you use.",
            )
        if code in NOT_FOUND_CODES:
            return OpsError(
                f"not found: {where}: {message}",
                fix="check the name, the region and the account of your credentials.",
            )
        return OpsError(f"{where} failed ({code}): {message}")
    if isinstance(exc, bex.BotoCoreError):
        return OpsError(f"{where} failed: {exc}")
    return OpsError(f"{where} failed: {type(exc).__name__}: {exc}")


def _action(operation: str) -> str:
    return "".join(part.capitalize() for part in operation.split("_"))
