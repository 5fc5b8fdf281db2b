"""The Jinja environments: built-in templates, a workspace's overrides, StrictUndefined, clear errors."""

from __future__ import annotations

import importlib.util
import traceback
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from pressctl.errors import InputError, PressctlError, UsageError

BUILTIN_PREFIX = "builtin/"  # `{% extends "builtin/release.html" %}` reaches the shipped template
WORKSPACE_TEMPLATES = Path("templates")


def builtin_dir() -> Path:
    """The shipped templates: pressctl/templates in an installed package, ./templates in a checkout."""
    spec = importlib.util.find_spec("pressctl.templates")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parent.parent.parent / "templates"


def resolve_templates(templates: Path | str | None) -> Path | None:
    """`--templates DIR`, else ./templates when present, else None (the built-in set only)."""
    if templates is not None:
        folder = Path(templates)
        if not folder.is_dir():
            raise UsageError("no such templates folder", path=str(folder))
        return folder
    return WORKSPACE_TEMPLATES if WORKSPACE_TEMPLATES.is_dir() else None


def builtin_only(templates: Path | str | None) -> bool:
    """True when every template comes from the built-in set: no templates folder, or one (such as the
    README-only folder `pressctl init` makes) that overrides none of the built-in names."""
    folder = resolve_templates(templates)
    if folder is None:
        return True
    return not any((folder / shipped.name).exists() for shipped in builtin_dir().iterdir()
                   if shipped.suffix in (".html", ".txt"))


def environment(templates: Path | str | None, *, html: bool) -> Any:
    folder = resolve_templates(templates)
    return _environment(str(folder.resolve()) if folder else None, html)


@cache
def _environment(folder: str | None, html: bool) -> Any:
    import jinja2

    from pressctl.render.markdown import wrap

    builtin = jinja2.FileSystemLoader(str(builtin_dir()))
    loaders: list[Any] = [jinja2.PrefixLoader({BUILTIN_PREFIX.rstrip("/"): builtin})]
    if folder is not None:
        loaders.insert(0, jinja2.FileSystemLoader(folder))
    loaders.append(builtin)
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters["wrap"] = wrap
    return env


def compile_template(templates: Path | str | None, name: str, *, html: bool) -> Callable[[Mapping[str, Any]], str]:
    """The template `name`, ready to render; every mistake in it becomes an InputError naming its file and line."""
    import jinja2

    env = environment(templates, html=html)
    try:
        template = env.get_template(name)
    except jinja2.TemplateSyntaxError as err:
        raise InputError(f"template syntax: {err.message}", path=_display(err.filename or err.name or name),
                         line=err.lineno) from None
    except jinja2.TemplateNotFound as err:
        raise UsageError(f"template {err.name!r} not found in the templates folder or the built-in set") from None

    def render(context: Mapping[str, Any]) -> str:
        try:
            return template.render(context)
        except jinja2.UndefinedError as err:
            path, line = _template_frame(err, template.filename or name)
            raise InputError(f"template: {err.message}", path=path, line=line,
                             hint="docs/templates.md lists every variable") from None
        except jinja2.TemplateError as err:
            path, line = _template_frame(err, template.filename or name)
            raise InputError(f"template: {err}", path=path, line=line) from None
        except RecursionError:
            hint = f'to change the built-in one, write {{% extends "{BUILTIN_PREFIX}{name}" %}}'
            raise InputError("template: it extends or includes itself, directly or through another template",
                             path=_display(template.filename or name), hint=hint) from None
        except PressctlError:
            raise
        except Exception as err:  # a template is code: `{{ 1/0 }}`, `{{ "a" + 1 }}`, a filter on the wrong type
            path, line = _template_frame(err, template.filename or name)
            raise InputError(f"template: {err} ({type(err).__name__})", path=path, line=line) from None

    return render


def template_path(templates: Path | str | None, name: str) -> str:
    """Where the template `name` is read from, for messages: the user's file or the built-in one."""
    return _display(environment(templates, html=True).get_template(name).filename or name)


def _template_frame(err: BaseException, default: str) -> tuple[str, int | None]:
    """The innermost template line in a Jinja traceback (Jinja rewrites frames to template lines)."""
    frames = [f for f in traceback.extract_tb(err.__traceback__)
              if f.filename.endswith((".html", ".txt", ".jinja", ".j2"))]
    if not frames:
        return _display(default), None
    return _display(frames[-1].filename), frames[-1].lineno


def _display(filename: str) -> str:
    path = Path(filename)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
