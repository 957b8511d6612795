"""How the plan writes a computed figure (seconds, dollars, counts).

A whole number is written as an integer and any other as a float rounded to three decimals,
so that ``185.0`` s reads ``185`` in the plan JSON and in messages, and a sum of floats does
not print its binary noise. The RTO budget, the telemetry RPO, the idle-cost estimate and its
options all write their figures through :func:`plain`.
"""

from __future__ import annotations

__all__ = ["plain"]


def plain(value: float) -> int | float:
    """Return ``value`` as an ``int`` when it is whole, else rounded to three decimals."""
    return int(value) if float(value).is_integer() else round(value, 3)
