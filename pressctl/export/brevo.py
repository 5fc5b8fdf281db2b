"""Brevo: the contact import CSV and the e-mail campaign API body (docs/exports.md §2.2, §3.4)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pressctl.contacts.model import Contact
from pressctl.export.csvfile import Dialect, write_csv
from pressctl.export.fields import ExportContext, first_of, split_name

if TYPE_CHECKING:
    from pressctl.export.campaign import Campaign, ListIds

HEADER = ("EMAIL", "FIRSTNAME", "LASTNAME", "SMS", "LANDLINE_NUMBER", "EXT_ID", "JOB_TITLE", "COMPANY", "LANGUAGE")
DIALECT = Dialect(delimiter=";")


def contact_file(contacts: Sequence[Contact], ctx: ExportContext) -> bytes:
    rows = []
    for contact in contacts:
        phones = ctx.phones(contact)
        mobile = first_of(phones, "mobile")
        landline = first_of(phones, "work", "home", "other")
        ctx.no_column(contact, len(phones) - (mobile is not None) - (landline is not None))
        given, family = split_name(contact)
        rows.append((ctx.email(contact), given, family, ctx.number(contact, mobile),
                     ctx.number(contact, landline), contact.id, contact.role or "", contact.organisation or "",
                     ", ".join(contact.languages)))
    return write_csv(HEADER, rows, DIALECT)


def campaign(campaign: Campaign, lists: ListIds, warnings: list[str]) -> dict[str, Any]:
    """The body of POST /v3/emailCampaigns. It has no field for a plain-text part."""
    ids = lists.numbers()
    warnings.append("Brevo's campaign API takes no plain-text part; the text alternative is not in the file")
    document: dict[str, Any] = {
        "name": campaign.name,
        "sender": {"name": campaign.sender_name, "email": campaign.sender_email},
        "subject": campaign.subject,
        "previewText": campaign.preheader,
        "htmlContent": campaign.html,
        "replyTo": campaign.sender_email,
        "recipients": {"listIds": ids},
        "tag": campaign.slug,
    }
    if campaign.send_at is not None:
        document["scheduledAt"] = campaign.send_at.isoformat(timespec="seconds")
    return document
