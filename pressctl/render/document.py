"""A release as template variables, and the text and HTML documents made from them."""

from __future__ import annotations

import html as html_lib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pressctl.config import Config
from pressctl.contacts.model import Contact, ContactBook
from pressctl.errors import InputError, UsageError
from pressctl.findings import Severity, stop_at_first_error
from pressctl.release import Release, check_release
from pressctl.render.environment import compile_template, template_path
from pressctl.render.phrases import Phrases, phrases_for
from pressctl.urls import is_web_url

PREHEADER_LENGTH = 150
_MAILTO_SAFE = "!$'*+-.^_`{|}~"  # atext that RFC 6068 lets stand in a mailto: address
PHONE_LABELS = {"mobile": "Mobile", "work": "Work", "home": "Home", "fax": "Fax", "other": "Other"}
TEMPLATES = {"text": "release.txt", "html": "release.html", "email": "email.html"}


@dataclass(frozen=True)
class PhoneView:
    label: str  # localised: "Mobile", "Mobiel", …
    number: str  # international format, "+31 6 51280210", "+1 202-555-0143 ext. 204"
    tel: str  # after `tel:` (RFC 3966): E.164, with `;ext=204` for an extension


@dataclass(frozen=True)
class PersonView:
    """A media contact or a quote's speaker, as the templates see them."""

    id: str
    name: str
    role: str
    organisation: str
    email: str
    phones: tuple[PhoneView, ...]
    extensions: Mapping[str, Any] = field(default_factory=dict)  # the contact's `x-…` keys, as written

    @property
    def attribution(self) -> str:
        return ", ".join(part for part in (self.name, self.role, self.organisation) if part)

    @cached_property
    def mailto(self) -> str:
        """A `mailto:` link to the validated address (RFC 6068: `?`, `&`, `%` and the like percent-encoded, so a
        local part such as `a?cc=b@c` adds no header to the reader's new message); "" when it is not valid."""
        from urllib.parse import quote

        from pressctl.contacts.addresses import mail_address

        address = mail_address(self.email) if self.email else None
        if address is None:
            return ""
        return f"mailto:{quote(address.local, safe=_MAILTO_SAFE)}@{address.ascii_domain}"


@dataclass(frozen=True)
class QuoteView:
    text: str  # plain text, not Markdown
    quoted: str  # with the language's quotation marks
    by: PersonView
    attribution: str  # "Name, Role, Organisation"


@dataclass(frozen=True, eq=False)
class Block:
    """A piece of the statement: Markdown, rendered when a template first asks, or a placed quote. A part
    for one format only (text or HTML) is rendered for that format alone, so a text render never holds the
    HTML of a long statement; a part for both (an e-mail) is parsed once for the two."""

    kind: str  # "text" or "quote"
    quote: QuoteView | None = None
    source: str = ""  # the Markdown (kind == "text")
    lead: str = ""  # the dateline that opens the first part, if this is it
    refs: Mapping[str, Any] = field(default_factory=dict)  # the whole statement's link reference definitions
    both: bool = False  # the templates will ask for the text and the HTML

    @cached_property
    def text(self) -> str:
        """Wrapped at 72 columns; the first part starts with the dateline."""
        return self._render(text=True, html=self.both)[0]

    @cached_property
    def html(self) -> Any:
        """Sanitised HTML (Markup); the first part's dateline in <span class="dateline">."""
        return self._render(text=self.both, html=True)[1]

    def _render(self, *, text: bool, html: bool) -> tuple[str, Any]:
        from markupsafe import Markup

        from pressctl.render import markdown

        lead_html = f'<span class="dateline">{html_lib.escape(self.lead)}</span>' if self.lead else ""
        rendered = markdown.render(self.source, lead=self.lead, lead_html=lead_html, refs=dict(self.refs),
                                   text=text, html=html)
        result = rendered[0], Markup(rendered[1])
        if text and html:  # keep the other one for when the template asks for it
            self.__dict__["text"], self.__dict__["html"] = result
        return result


@dataclass(frozen=True)
class MarkdownView:
    text: str
    html: str


@dataclass(frozen=True)
class RecipientView:
    """The person a merged message goes to."""

    id: str
    name: str
    email: str
    role: str
    organisation: str
    language: str  # the language of the greeting
    extensions: Mapping[str, Any] = field(default_factory=dict)  # the contact's `x-…` keys, as written


def ensure_renderable(release: Release, book: ContactBook) -> None:
    """Refuse a release whose contacts or quotes do not resolve, naming the line."""
    errors = [f for f in check_release(release, book) if f.severity is Severity.ERROR]
    stop_at_first_error(errors, "release check", column=False)


def build_context(release: Release, book: ContactBook, config: Config, *,
                  recipient: RecipientView | None = None, greeting: str = "",
                  unsubscribe_url: str = "", both: bool = False, published: bool = False) -> dict[str, Any]:
    """Every template variable (docs/templates.md lists them). `both`: the text and the HTML document will
    be rendered from it (an e-mail), so each part of the statement is parsed once for the two. `published`:
    for the newsroom, which shows a release only once its embargo has lifted, so it is not embargoed."""
    from markupsafe import Markup

    from pressctl.render import markdown

    t = phrases_for(release.language)
    contacts = book.by_id()
    embargo_text = t.moment(release.embargo) if release.embargo else ""
    embargoed = release.embargo is not None and not published
    status = t("EMBARGOED UNTIL {when}", when=embargo_text) if embargoed else t("FOR IMMEDIATE RELEASE")
    date_text = t.long_date(release.date)
    dateline = f"{release.dateline.upper()}, {date_text} \u2013"
    quotes = [_quote_view(q, contacts, t) for q in release.quotes]
    preheader = preheader_for(release)
    organisation = config.organisation
    if organisation.website and not is_web_url(organisation.website):
        # It becomes the publisher's url in the JSON-LD and a link in templates: `javascript:` must not.
        raise UsageError(f"`organisation.website` is {organisation.website!r}, not an http:// or https:// address",
                         path=config.path or "pressctl.toml", hint='write it as website = "https://example.org"')
    about_markdown = release.about if release.about is not None else organisation.about
    about = None
    if about_markdown:
        about_text, about_html = markdown.render(about_markdown)
        about = {
            "heading": t("About {organisation}", organisation=organisation.name) if organisation.name else "",
            "text": about_text,
            "html": Markup(about_html),
        }
    context = {
        "release": release,
        "lang": release.language,
        "headline": release.headline,
        "subheadline": release.subheadline,
        "embargoed": embargoed,
        "embargo_text": embargo_text,
        "status": status,
        "date_text": date_text,
        "dateline": dateline,
        "statement": _statement(release, quotes, dateline, both),
        "quotes": quotes,
        "notes": [MarkdownView(markdown.inline_text(n), Markup(markdown.inline_html(n))) for n in release.notes],
        "media_contacts": [_person(contacts[i], t) for i in release.media_contacts if i in contacts],
        "about": about,
        "organisation": organisation,
        "sender": config.sender,
        "preheader": preheader,
        "recipient": recipient,
        "greeting": greeting,
        "unsubscribe_url": unsubscribe_url,
        "t": t,
    }
    context["json_ld"] = Markup(_json_ld(release, config, preheader))
    from pressctl.release.attachments import attachments_of
    from pressctl.release.versions import version_links
    from pressctl.render.attachments import attachment_views

    context["versions"] = version_links(release)
    context["attachments"] = attachment_views(attachments_of(release))
    return context


def render_document(kind: str, context: dict[str, Any], templates: Path | str | None) -> str:
    """Render `text`, `html` or `email` (the e-mail HTML, with its CSS inlined)."""
    return document_renderer(kind, templates)(context)


def document_renderer(kind: str, templates: Path | str | None) -> Callable[[dict[str, Any]], str]:
    """render_document() for one kind, its template found and compiled once: a merge renders it per recipient."""
    render = compile_template(templates, TEMPLATES[kind], html=kind != "text")
    if kind != "email":
        return render
    return lambda context: _inline_css(render(context), templates)


_STYLESHEET_LINK = re.compile(r"""<link\b[^>]*\brel\s*=\s*["']?\s*stylesheet\b[^>]*>""", re.IGNORECASE)


def _inline_css(html: str, templates: Path | str | None) -> str:
    import css_inline

    # Never fetch a stylesheet, over the network or from disk: rendering stays offline and reproducible.
    # The inliner would drop a <link> without a word, so say so instead of sending an unstyled e-mail.
    link = _STYLESHEET_LINK.search(html)
    if link:
        raise InputError(f"the e-mail links a stylesheet, {link.group(0)}, which pressctl does not load",
                         path=template_path(templates, TEMPLATES["email"]),
                         hint="put the styles in the template's <style> block")
    try:
        return _inliner().inline(html)
    except css_inline.InlineError as err:
        raise InputError(f"the CSS cannot be inlined: {err}", path=template_path(templates, TEMPLATES["email"]),
                         hint="put the styles in the template's <style> block") from None


@cache
def _inliner() -> Any:
    import css_inline

    return css_inline.CSSInliner(load_remote_stylesheets=False)


def _statement(release: Release, quotes: list[QuoteView], dateline: str, both: bool) -> list[Block]:
    from pressctl.render import markdown

    placed = {p.line - release.body_line: p.quote for p in release.placements if p.quote is not None}
    # A `[site]: https://…` definition may stand in another part than the `[our site][site]` that uses it.
    refs = markdown.references(release.body)
    blocks: list[Block] = []

    def text_part(source: str) -> None:
        """The text between two quotes as a part; the first part opens with the dateline, and there always
        is one before a quote, so a statement that begins with a placed quote keeps its dateline."""
        first = not blocks
        if source.strip() or first:
            blocks.append(Block("text", source=source, lead=dateline if first else "", refs=refs, both=both))

    for source, quote_index in _between_placeholders(release.body, placed):
        text_part(source)
        if quote_index is not None:
            blocks.append(Block("quote", quote=quotes[_position(release, quote_index)]))
    shown = set(placed.values())
    blocks.extend(Block("quote", quote=quotes[n]) for n, q in enumerate(release.quotes) if q.index not in shown)
    return blocks


def _between_placeholders(body: str, placed: dict[int, int]) -> list[tuple[str, int | None]]:
    """The body cut at its placeholder lines (0-based line numbers to quote indexes): each piece of text with
    the quote that follows it, the last with None. Slices, not a list of every line: a body may be 50 MB."""
    pieces: list[tuple[str, int | None]] = []
    start = position = line = 0
    for target in sorted(placed):
        while line < target:
            position = body.index("\n", position) + 1
            line += 1
        end = body.find("\n", position)
        pieces.append((body[start:position], placed[target]))
        start = len(body) if end < 0 else end + 1
    pieces.append((body[start:], None))
    return pieces


def _position(release: Release, quote_index: int) -> int:
    return next(n for n, q in enumerate(release.quotes) if q.index == quote_index)


def _quote_view(quote: Any, contacts: dict[str, Contact], t: Phrases) -> QuoteView:
    if quote.by:
        person = _person(contacts[quote.by], t)
    else:
        person = PersonView("", quote.name, quote.role, quote.organisation, "", ())
    start, end = t.quote_marks
    text = " ".join(quote.text.split())
    return QuoteView(text, f"{start}{text}{end}", person, person.attribution)


def _person(contact: Contact, t: Phrases) -> PersonView:
    from pressctl.render.tel import dial_forms

    phones = []
    for phone in contact.phones:
        forms = dial_forms(phone.number, contact.phone_region)
        # A number a reader abroad cannot dial is never printed: a media contact's stops the render
        # (R014); a speaker's, which the built-in templates do not show, is left out.
        if forms:
            phones.append(PhoneView(t(PHONE_LABELS.get(phone.type or "", "Phone")), forms.printed, forms.tel))
    return PersonView(contact.id, contact.name, contact.role or "", contact.organisation or "",
                      contact.email or "", tuple(phones), MappingProxyType(dict(contact.extensions)))


def _json_ld(release: Release, config: Config, description: str) -> str:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": release.headline,
        "inLanguage": release.language,
        "datePublished": (release.embargo.isoformat() if release.embargo else release.date.isoformat()),
        "dateline": release.dateline,
        "description": description,
    }
    if release.subheadline:
        data["alternativeHeadline"] = release.subheadline
    if config.organisation.name:
        publisher = {"@type": "Organization", "name": config.organisation.name}
        if config.organisation.website:
            publisher["url"] = config.organisation.website
        data["publisher"] = publisher
        data["author"] = publisher
    text = json.dumps(data, ensure_ascii=False, indent=2)
    # Inside <script>, `</script>` or `<!--` in a value would end the block: escape the brackets.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def subject_for(release: Release) -> str:
    """The e-mail subject: the headline, marked when embargoed."""
    if release.embargo is None:
        return release.headline
    return f"[{phrases_for(release.language)('EMBARGOED')}] {release.headline}"


_SENTENCE = re.compile(r"(.+?[.!?])(?:\s|$)")


def preheader_for(release: Release) -> str:
    """The preview line of an e-mail: the subheadline, else the statement's first sentence (plain text)."""
    from pressctl.render.markdown import first_paragraph_text

    text = release.subheadline
    if not text:
        first = first_paragraph_text(release.body)
        match = _SENTENCE.match(" ".join(first.split()))
        text = match.group(1) if match else first
    text = " ".join(text.split())
    if len(text) > PREHEADER_LENGTH:
        text = text[: PREHEADER_LENGTH - 1].rsplit(" ", 1)[0].rstrip(",;:") + "\u2026"
    return text
