"""The JSON Schema of contacts.yaml, built from the same key lists the loader uses."""

from __future__ import annotations

from typing import Any

from pressctl.contacts.load import CONSENT_KEYS, CONTACT_KEYS, DEFAULT_KEYS, PHONE_KEYS, TOP_KEYS
from pressctl.contacts.model import CONSENT_BASES, PHONE_FORMATS, PHONE_TYPES

SCHEMA_ID = "https://pressctl.example.org/schemas/contacts.schema.json"

_TEXT = {"type": "string", "minLength": 1}
_DATE = {"type": "string", "format": "date", "description": "YYYY-MM-DD"}
_TEXT_LIST = {"type": "array", "items": _TEXT}


def contacts_schema() -> dict[str, Any]:
    phone_number = {**_TEXT, "description": "International (+31 6 12345678) or national form, with an "
                    "extension if it has one (+1 202-555-0143 ext. 204); quote it so YAML keeps it as text"}
    phone: dict[str, Any] = {
        "type": "object",
        "properties": {
            "number": phone_number,
            "type": {"enum": list(PHONE_TYPES)},
            "label": _TEXT,
        },
        "required": ["number"],
        "additionalProperties": False,
    }
    consent: dict[str, Any] = {
        "type": "object",
        "properties": {"basis": {"enum": list(CONSENT_BASES)}, "source": _TEXT, "date": _DATE},
        "required": ["basis"],
        "additionalProperties": False,
    }
    contact_properties: dict[str, Any] = {
        "id": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$", "description": "unique slug"},
        "name": {**_TEXT, "description": "full name as printed"},
        "given_name": {**_TEXT, "description": "given name(s) as the person writes them; exports use it"},
        "family_name": {**_TEXT, "description": "family name as the person writes it; exports use it"},
        "role": {**_TEXT, "description": "job title"},
        "organisation": {**_TEXT, "description": "employer or outlet"},
        "email": {**_TEXT, "format": "idn-email"},
        "phones": {"type": "array", "items": {"anyOf": [phone, phone_number]}},
        "phone": phone_number,
        "region": {"type": "string", "pattern": "^[A-Z]{2}$", "description": "ISO 3166-1 alpha-2"},
        "languages": {**_TEXT_LIST, "description": "BCP 47 tags"},
        "lists": {**_TEXT_LIST, "description": "distribution lists"},
        "timezone": {**_TEXT, "description": "IANA time zone, e.g. Europe/Amsterdam"},
        "unsubscribed": {"anyOf": [{"type": "boolean"}, _DATE]},
        "consent": consent,
        "notes": {"type": "string"},
    }
    assert set(contact_properties) == set(CONTACT_KEYS)  # the loader and the schema know the same keys
    assert set(phone["properties"]) == set(PHONE_KEYS) and set(consent["properties"]) == set(CONSENT_KEYS)
    defaults_properties = {
        "region": {"type": "string", "pattern": "^[A-Z]{2}$"},
        "phone_format": {"enum": list(PHONE_FORMATS)},
    }
    assert set(defaults_properties) == set(DEFAULT_KEYS)
    top_properties = {
        "version": {"const": 1},
        "defaults": {"type": "object", "properties": defaults_properties, "additionalProperties": False},
        "contacts": {"type": "array", "items": {"$ref": "#/$defs/contact"}},
        "suppressed": {"type": "array", "items": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                       "description": "SHA-256 of the addresses and numbers of people who asked to be forgotten"},
    }
    assert set(top_properties) == set(TOP_KEYS)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "pressctl contact book (contacts.yaml)",
        "type": "object",
        "properties": top_properties,
        "required": ["version", "contacts"],
        "additionalProperties": False,
        "$defs": {
            "contact": {
                "type": "object",
                "properties": contact_properties,
                "patternProperties": {"^x-": {}},
                "required": ["id", "name"],
                "anyOf": [{"required": ["email"]}, {"required": ["phone"]}, {"required": ["phones"]}],
                "additionalProperties": False,
            }
        },
    }
