"""Field types for text: ``text`` (one line), ``long-text`` (notes) and ``url``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

from clientcard.core.errors import FieldValueError
from clientcard.core.fields import FieldContext, FieldType
from clientcard.core.hookspecs import hookimpl
from clientcard.core.model import FieldDef, JSONValue
from clientcard.plugins.fields._common import titled


class TextType(FieldType):
    """A single line of text, with surrounding spaces removed."""

    name = "text"
    label = "Text"
    description = "A short piece of text on one line, such as a nickname or a referral source."

    _EXPECTED = "text on a single line"

    def validate(self, value: Any, field: FieldDef, ctx: FieldContext) -> str:
        if not isinstance(value, str):
            raise FieldValueError(self._EXPECTED)
        text = value.strip()
        # splitlines() knows every Unicode line break, not only "\n"; a pasted
        # "\u2028" would otherwise break tables and CSV rows just the same.
        if len(text.splitlines()) > 1:
            raise FieldValueError(f"{self._EXPECTED} (use type 'long-text' for several lines)")
        return text

    def render(self, raw: JSONValue, field: FieldDef, ctx: FieldContext) -> str:
        return str(raw)

    def json_schema(self, field: FieldDef, ctx: FieldContext) -> dict[str, Any]:
        return titled({"type": "string", "pattern": r"^[^\r\n]*$"}, field)


class LongTextType(FieldType):
    """Free text over several lines; line endings are stored as ``\\n``."""

    name = "long-text"
    label = "Long text"
    description = "Notes of any length over several lines, such as allergies or preferences."

    def validate(self, value: Any, field: FieldDef, ctx: FieldContext) -> str:
        if not isinstance(value, str):
            raise FieldValueError("text")
        # Windows and old Mac line endings from CSV files or web forms would
        # otherwise make equal notes compare different.
        return value.replace("\r\n", "\n").replace("\r", "\n").strip()

    def render(self, raw: JSONValue, field: FieldDef, ctx: FieldContext) -> str:
        return str(raw)

    def json_schema(self, field: FieldDef, ctx: FieldContext) -> dict[str, Any]:
        return titled({"type": "string"}, field)


_WHITESPACE = re.compile(r"\s")
#: http or https in any case, a host, no space inside: what the type accepts, but
#: for what only parsing tells (a port that is no number)
_TYPED_URL = r"^\s*[hH][tT][tT][pP][sS]?://[^\s/?#]+([/?#]\S*)?\s*$"


class UrlType(FieldType):
    """A web address (http or https) with scheme and host in lowercase."""

    name = "url"
    label = "Web address"
    description = "A link to a web page, such as a customer's website or social media profile."

    _EXPECTED = "a web address starting with http:// or https://, such as https://example.com"

    def validate(self, value: Any, field: FieldDef, ctx: FieldContext) -> str:
        if not isinstance(value, str):
            raise FieldValueError(self._EXPECTED)
        text = value.strip()
        # urlsplit silently drops tabs and newlines inside a URL, so a pasted
        # address with a space in it would be accepted as a different address.
        if _WHITESPACE.search(text):
            raise FieldValueError(f"{self._EXPECTED} (without spaces)")
        try:
            parts = urlsplit(text)
            _ = parts.port  # raises ValueError for a port that is not a number
        except ValueError:
            raise FieldValueError(self._EXPECTED) from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FieldValueError(self._EXPECTED)
        return urlunsplit(_lowercase_host(parts))

    def render(self, raw: JSONValue, field: FieldDef, ctx: FieldContext) -> str:
        return str(raw)

    def json_schema(self, field: FieldDef, ctx: FieldContext) -> dict[str, Any]:
        return titled({"type": "string", "format": "uri", "pattern": _TYPED_URL}, field)


def _lowercase_host(parts: SplitResult) -> SplitResult:
    """Lowercase the scheme and host, but not a user name or password before ``@``."""
    userinfo, at, hostport = parts.netloc.rpartition("@")
    return parts._replace(scheme=parts.scheme.lower(), netloc=userinfo + at + hostport.lower())


@hookimpl
def clientcard_register_field_types(register: Callable[[FieldType], None]) -> None:
    register(TextType())
    register(LongTextType())
    register(UrlType())
