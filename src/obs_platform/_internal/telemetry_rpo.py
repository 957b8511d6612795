"""What a region loss loses of logs and traces: the observability stack's telemetry RPO.

Loki and Tempo acknowledge a write once it is in the ingester's memory and its write-ahead
log; both live in the primary region (the WAL on an EBS volume there), so a region loss loses
everything not yet flushed to the bucket, and of what was flushed, what S3 has not yet
replicated to the standby's replica bucket. The worst case, per signal:

* logs: a Loki chunk is flushed at the latest when it is ``max_chunk_age`` old, at the next
  ``flush_check_period``; the TSDB index of a flushed chunk is in the ingester's head until the
  head rotates (every 15 minutes), and a chunk no index names cannot be queried; then S3
  replication;
* traces (Tempo 2, the monolithic chart): a trace moves to the head block ``trace_idle_period``
  after its last span, the head block is cut after ``max_block_duration``, and flushed at the
  next ``flush_check_period``; then S3 replication.

The figures are read from the Loki and Tempo configuration the library renders (the
``ingester`` blocks of the charts' values, which the charts copy into their config files);
what is not set there is the binary's default:

* Loki configuration reference (``docs/sources/shared/configuration.md``):
  ``max_chunk_age`` 2h, ``chunk_idle_period`` 30m, ``flush_check_period`` 30s; TSDB head
  rotation ``defaultRotationPeriod = 15 * time.Minute`` (``pkg/storage/stores/tsdb/
  head_manager.go``);
* Tempo ``modules/ingester/config.go``: ``trace_idle_period`` 10s, ``max_block_duration``
  30m, ``flush_check_period`` 10s;
* S3: with S3 Replication Time Control 99.99 % of objects replicate within 15 minutes (S3 user
  guide, *Meeting compliance requirements using S3 Replication Time Control*); the stack's
  replication rules do not enable RTC, and without it S3 states no bound, so 15 minutes is a
  stated assumption here (:data:`S3_REPLICATION_SECONDS`).

The same figures give how long a promoted standby needs to flush once ingest has left it
(``drain_seconds``): every chunk is then idle, so ``chunk_idle_period`` (or ``max_chunk_age``
when shorter) bounds Loki, and ``max_block_duration`` bounds Tempo.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .plan_figures import plain

LOKI_DEFAULTS: dict[str, int] = {
    "max_chunk_age": 7200,
    "chunk_idle_period": 1800,
    "flush_check_period": 30,
}
"""Loki 3 ingester defaults in seconds (Loki configuration reference)."""
LOKI_INDEX_ROTATION_SECONDS = 900
"""Loki's TSDB head rotation (``head_manager.go``: ``defaultRotationPeriod``)."""
TEMPO_DEFAULTS: dict[str, int] = {
    "trace_idle_period": 10,
    "max_block_duration": 1800,
    "flush_check_period": 10,
}
"""Tempo 2 ingester defaults in seconds (``modules/ingester/config.go``)."""
S3_REPLICATION_SECONDS = 900
"""Stated S3 replication delay: RTC's 15-minute figure, assumed without RTC (no SLA)."""

SOURCES: tuple[str, ...] = (
    "Loki configuration reference: ingester max_chunk_age 2h, chunk_idle_period 30m, "
    "flush_check_period 30s (defaults; the loki chart copies loki.ingester into its config)",
    "Loki pkg/storage/stores/tsdb/head_manager.go: the TSDB head rotates every 15m",
    "Tempo modules/ingester/config.go: trace_idle_period 10s, max_block_duration 30m, "
    "flush_check_period 10s (defaults; the tempo chart copies tempo.ingester into its config)",
    "S3 user guide, S3 Replication Time Control: 99.99% of objects within 15 minutes; the "
    "replication rules do not enable RTC, so the 15 minutes are assumed, not guaranteed",
)

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def duration_seconds(value: Any) -> float:
    """Return the seconds of a Go duration (``"2h"``, ``"1h30m"``, ``"30s"``) or a number.

    Raises:
        ValueError: If the value is neither.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"{value!r} is not a duration such as '2h', '30m' or '1h30m'")
    return sum(float(n) * _UNIT[u] for n, u in parts)


def _read(block: Mapping[str, Any] | None, defaults: dict[str, int]) -> dict[str, float]:
    block = block or {}
    return {
        key: duration_seconds(block[key]) if key in block else float(default)
        for key, default in defaults.items()
    }


@dataclass(frozen=True)
class TelemetryRpo:
    """The worst-case logs and traces loss of a region failure, against a target.

    Attributes:
        logs_seconds: Loki's term: the newest logs older than this survive.
        traces_seconds: Tempo's term, or ``None`` when it is not modelled (distributed Tempo).
        drain_seconds: How long a promoted standby needs to flush once ingest has left it.
        target_seconds: ``StandbyStackArgs.telemetry_rpo_target_seconds``.
        terms: Each figure the sums are made of, in seconds.
        notes: What the model leaves out.
    """

    logs_seconds: float
    traces_seconds: float | None
    drain_seconds: float
    target_seconds: float
    terms: dict[str, float]
    notes: tuple[str, ...] = field(default=())

    @property
    def rpo_seconds(self) -> float:
        """The larger of the two signals' terms."""
        return max(self.logs_seconds, self.traces_seconds or 0.0)

    @property
    def meets_target(self) -> bool:
        """Whether the RPO is within the target."""
        return self.rpo_seconds <= self.target_seconds

    def loki_max_chunk_age_to_meet(self) -> int | None:
        """Return the largest ``loki_max_chunk_age_minutes`` that meets the target, if any."""
        rest = self.logs_seconds - self.terms["loki_max_chunk_age_seconds"]
        minutes = int((self.target_seconds - rest) // 60)
        return minutes if minutes >= 1 else None

    def explain(self) -> str:
        """Return the figure and its terms, one line each."""
        traces = (
            "not modelled" if self.traces_seconds is None else f"{plain(self.traces_seconds)} s"
        )
        lines = [
            f"Telemetry RPO {plain(self.rpo_seconds)} s, target {plain(self.target_seconds)} s: "
            + ("meets" if self.meets_target else "MISSES"),
            f"  logs {plain(self.logs_seconds)} s, traces {traces}",
        ]
        lines += [f"  {name} = {plain(value)}" for name, value in self.terms.items()]
        return "\n".join(lines)

    def as_output(self) -> dict[str, Any]:
        """Return the plan's ``dr[].telemetry_rpo`` object."""
        return {
            "rpo_seconds": plain(self.rpo_seconds),
            "rpo_target_seconds": plain(self.target_seconds),
            "meets_target": self.meets_target,
            "logs_rpo_seconds": plain(self.logs_seconds),
            "traces_rpo_seconds": (
                None if self.traces_seconds is None else plain(self.traces_seconds)
            ),
            "drain_seconds": plain(self.drain_seconds),
            "terms": {name: plain(value) for name, value in self.terms.items()},
            "sources": list(SOURCES),
            "notes": list(self.notes),
        }


def telemetry_rpo(
    loki_ingester: Mapping[str, Any] | None,
    tempo_ingester: Mapping[str, Any] | None,
    *,
    target_seconds: float,
    tempo_modelled: bool = True,
    replication_seconds: float = S3_REPLICATION_SECONDS,
) -> TelemetryRpo:
    """Compute the telemetry RPO from the rendered ``ingester`` blocks.

    Args:
        loki_ingester: The Loki chart's ``loki.ingester`` values (what its config gets).
        tempo_ingester: The tempo chart's ``tempo.ingester`` values.
        target_seconds: The stated target.
        tempo_modelled: ``False`` for distributed Tempo 3 (spans wait in Kafka, in the primary
            region, until a block-builder consumes them; not modelled).
        replication_seconds: The S3 replication delay assumed.

    Raises:
        ValueError: If a rendered duration cannot be read.
    """
    loki = _read(loki_ingester, LOKI_DEFAULTS)
    tempo = _read(tempo_ingester, TEMPO_DEFAULTS)
    terms = {
        "loki_max_chunk_age_seconds": loki["max_chunk_age"],
        "loki_flush_check_seconds": loki["flush_check_period"],
        "loki_index_rotation_seconds": float(LOKI_INDEX_ROTATION_SECONDS),
        "s3_replication_seconds": float(replication_seconds),
    }
    logs = sum(terms.values())
    traces: float | None = None
    notes: list[str] = []
    if tempo_modelled:
        tempo_terms = {
            "tempo_trace_idle_seconds": tempo["trace_idle_period"],
            "tempo_max_block_seconds": tempo["max_block_duration"],
            "tempo_flush_check_seconds": tempo["flush_check_period"],
        }
        terms.update(tempo_terms)
        traces = sum(tempo_terms.values()) + replication_seconds
    else:
        notes.append(
            "traces not modelled: distributed Tempo keeps acknowledged spans in Kafka in the "
            "primary region until a block-builder writes them"
        )
    # Once writes stop, a chunk goes at whichever comes first: idle for chunk_idle_period, or
    # max_chunk_age old.
    loki_idle = min(loki["chunk_idle_period"], loki["max_chunk_age"])
    drain = max(
        loki_idle + loki["flush_check_period"] + LOKI_INDEX_ROTATION_SECONDS,
        tempo["trace_idle_period"] + tempo["max_block_duration"] + tempo["flush_check_period"],
    )
    return TelemetryRpo(logs, traces, drain, float(target_seconds), terms, tuple(notes))
