"""Export the contact book and releases in the shapes that mailing tools and address books import."""

from __future__ import annotations

CONTACT_TARGETS = ("mailchimp", "brevo", "listmonk", "constant-contact", "google", "outlook", "vcard", "csv", "json")
RELEASE_TARGETS = ("html", "listmonk", "mailchimp", "brevo", "ninjs")
