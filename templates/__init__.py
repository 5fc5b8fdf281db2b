"""The built-in templates, shipped inside the package as pressctl.templates."""
