"""Run the command line with ``python -m helpstats``."""

from .cli import run

run()
