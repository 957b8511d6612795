"""botocore service models to ship inside a Lambda archive, taken from the installed botocore.

Why. A Lambda Python runtime includes an SDK for Python (boto3 and botocore) of the runtime's
choosing, updated on Lambda's schedule, and Lambda's guide recommends packaging the SDK a
function needs rather than relying on it (AWS Lambda developer guide, *Building Lambda
functions with Python*, "Runtime-included SDK versions", and *Working with .zip file archives
for Python Lambda functions*: the runtime's SDK is for deployments "where you are unable to add
your own dependencies"). A service newer than the runtime's botocore is then unknown to it:
``boto3.client("arc-region-switch")`` raises ``UnknownServiceError``.

How. botocore finds its models through a search path: the directories named by
``AWS_DATA_PATH`` first, then ``~/.aws/models``, then its own ``data`` directory, each laid out
``<service>/<api-version>/service-2.json`` (botocore ``loaders.py``: module docstring,
``create_loader`` and ``Loader.__init__``, which puts the extra paths before the defaults and
expands ``$VARIABLES`` in each). So a function needs only the service's model files in its
archive and ``AWS_DATA_PATH`` pointing at them, not a vendored SDK (botocore, boto3,
s3transfer, urllib3: about 35 MB unpacked, measured on botocore 1.44). The files are the two a
client needs: ``service-2`` (operations and shapes) and ``endpoint-rule-set-1`` (how the
endpoint is resolved).

The copy is taken from the botocore installed where the program runs, not committed: about
110 kB of JSON that would otherwise go stale beside the botocore the tests and the CLI use.
The one change to the copy: ``protocol`` names the protocol the installed botocore resolves
from the model's ``protocols`` list (``ServiceModel.resolved_protocol``, ``json`` for
``arc-region-switch``). A botocore older than the ``protocols`` trait reads only ``protocol``
(``smithy-rpc-v2-cbor`` here), which it cannot serialize; with the change every botocore speaks
the same protocol the installed one does.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MIN_BOTOCORE", "MODEL_TYPES", "service_model_files"]

MIN_BOTOCORE = "1.40.1"
"""The first botocore that ships the ``arc-region-switch`` model (1.40.0 has none: read in the
PyPI wheels); ``pyproject.toml`` requires the boto3 of that release."""

MODEL_TYPES = ("service-2", "endpoint-rule-set-1")
"""The model files a botocore client of a service needs (``paginators-1`` and ``waiters-2`` are
needed only by paginator and waiter objects)."""


def _resolved_protocol(model: dict[str, Any], service: str) -> str:
    from botocore.model import ServiceModel

    service_model = ServiceModel(model, service_name=service)
    # ``resolved_protocol`` exists in botocore releases that know the ``protocols`` trait.
    resolved = getattr(service_model, "resolved_protocol", None)
    return str(resolved or model["metadata"]["protocol"])


def service_model_files(service: str, root: str) -> dict[str, str]:
    """Return the installed botocore's model files of ``service``, keyed by archive path.

    Args:
        service: The botocore service name (``"arc-region-switch"``).
        root: The archive directory ``AWS_DATA_PATH`` names (``"botocore-data"``).

    Returns:
        ``{"<root>/<service>/<api-version>/<type>.json": JSON text}`` for each of
        :data:`MODEL_TYPES`, uncompressed (botocore reads ``.json.gz`` only since it started
        shipping compressed models; every botocore reads ``.json``).

    Raises:
        RuntimeError: The installed botocore does not know ``service``; the message names its
            version and the fix.
    """
    import botocore
    from botocore.exceptions import DataNotFoundError, UnknownServiceError
    from botocore.loaders import Loader

    loader = Loader()
    try:
        version = loader.determine_latest_version(service, "service-2")
        models = {kind: loader.load_service_model(service, kind, version) for kind in MODEL_TYPES}
    except (DataNotFoundError, UnknownServiceError) as exc:
        raise RuntimeError(
            f"the installed botocore {botocore.__version__} has no {service!r} model to ship "
            f"in the Lambda archive ({exc}); it needs botocore {MIN_BOTOCORE} or later: "
            "upgrade boto3 and botocore (pip install -U boto3 botocore) where the Pulumi "
            "program runs"
        ) from exc
    service_2 = json.loads(json.dumps(models["service-2"]))  # a plain, mutable copy
    protocol = _resolved_protocol(service_2, service)
    service_2["metadata"]["protocol"] = protocol
    service_2["metadata"]["protocols"] = [protocol]
    texts = {"service-2": service_2, "endpoint-rule-set-1": models["endpoint-rule-set-1"]}
    return {
        f"{root}/{service}/{version}/{kind}.json": json.dumps(
            texts[kind], separators=(",", ":"), sort_keys=True
        )
        for kind in MODEL_TYPES
    }
