"""Release files: YAML front matter plus a Markdown statement, loaded and checked with line numbers."""

from pressctl.release.check import MAX_HEADLINE, check_release, check_release_files
from pressctl.release.load import PLACEHOLDER, load_release, read_release
from pressctl.release.model import Placement, Quote, Release, line_break_in

__all__ = [
    "MAX_HEADLINE", "PLACEHOLDER", "Placement", "Quote", "Release", "check_release", "check_release_files",
    "line_break_in", "load_release", "read_release",
]
