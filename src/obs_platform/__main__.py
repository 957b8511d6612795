"""``python -m obs_platform``: the command line."""

from .cli import run

run()
