"""``python -m obs_platform.cli``."""

from . import run

run()
