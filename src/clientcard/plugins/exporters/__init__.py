"""Exporters (csv, xlsx, json, vcard)."""
