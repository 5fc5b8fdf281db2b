"""Run pressctl as `python -m pressctl`."""

from pressctl.cli import main

main()
