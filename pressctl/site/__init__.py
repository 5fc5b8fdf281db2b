"""The newsroom: a static, embargo-safe press room built from releases/ (pages, Atom feeds, sitemap, ninjs)."""

from pressctl.site.build import BuildResult, SiteInputs, build_site, parse_now

__all__ = ["BuildResult", "SiteInputs", "build_site", "parse_now"]
