"""pressctl: the command-line toolkit for press offices."""

__version__ = "0.1.0"
