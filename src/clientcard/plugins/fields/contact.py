"""Field types for reaching a customer: ``email`` and ``phone``.

``email_validator`` and ``phonenumbers`` take tens of milliseconds each to
import, so they are imported inside the methods that need them: commands that
never touch an e-mail address or a phone number do not pay for them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from clientcard.core.errors import FieldValueError
from clientcard.core.fields import FieldContext, FieldType, Identity
from clientcard.core.hookspecs import hookimpl
from clientcard.core.model import FieldDef, JSONValue
from clientcard.plugins.fields._common import titled

if TYPE_CHECKING:
    from phonenumbers import PhoneNumber

#: a phone number as people write it, for forms: a + or not, 5 to 17 digits (also
#: Persian and Arabic ones; "0039 ..." has two more than E.164's 15) and the spaces,
#: dots, dashes, slashes and brackets between them.  Whether the numbering plan has
#: the number is the server's to say, as no pattern can.
_TYPED_PHONE = r"^\s*\+?[\s().\-/]*(?:[0-9\u0660-\u0669\u06f0-\u06f9][\s().\-/]*){5,17}$"
#: an address with one @, a dot in its domain and no spaces (email-validator has the
#: last word): what "format": "email" leaves unchecked in many validators
_TYPED_EMAIL = r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$"
#: Shown when the workspace has no region, so no local example can be given.
_FALLBACK_PHONE_EXAMPLE = "+39 312 345 6789"


#: an ASCII dot-atom local part (RFC 5322 atext, dots between) and an ASCII domain
_PLAIN_EMAIL = re.compile(
    r"([A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
    r"@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
)


class EmailType(FieldType):
    """An e-mail address, checked for its form (not by sending mail) and normalised."""

    name = "email"
    label = "E-mail"
    description = "An e-mail address, such as the one a customer gets booking reminders at."
    # case-insensitive in practice; shared by families and couples, so a
    # different address says nothing against being the same person
    identity = Identity("normalised", weight=0.9)

    _EXPECTED = "an e-mail address such as name@example.com"

    def __init__(self) -> None:
        #: ASCII domain → whether email_validator accepts it (see validate)
        self._domains: dict[str, bool] = {}

    def validate(self, value: Any, field: FieldDef, ctx: FieldContext) -> str:
        if not isinstance(value, str):
            raise FieldValueError(self._EXPECTED)
        text = value.strip()
        # Most addresses are plain ASCII: a dot-atom local part, which the full
        # check accepts as it is, at a domain it has already accepted once.
        # Checking each domain once makes importing 100,000 customers seconds
        # faster; anything else goes through the full check.
        plain = _PLAIN_EMAIL.fullmatch(text)
        # (a punycode domain, xn--, is normalised to Unicode: left to the full check)
        if plain is not None and len(plain[1]) <= 64 and len(text) <= 254 and "xn--" not in text:
            domain = plain[2].lower()
            accepted = self._domains.get(domain)
            if accepted is None:
                accepted = self._domains[domain] = self._check(f"a@{domain}") is not None
            if accepted:
                return f"{plain[1]}@{domain}"
        checked = self._check(text)
        if checked is None:
            raise FieldValueError(self._EXPECTED)
        return checked

    @staticmethod
    def _check(text: str) -> str | None:
        """The normalised address, or None when email_validator refuses it."""
        from email_validator import EmailNotValidError, validate_email

        try:
            # No DNS look-up: it is slow, needs a network, and would make an
            # import of old records fail when a domain has since lapsed.
            return validate_email(text, check_deliverability=False).normalized
        except EmailNotValidError:
            return None

    def render(self, raw: JSONValue, field: FieldDef, ctx: FieldContext) -> str:
        return str(raw)

    def json_schema(self, field: FieldDef, ctx: FieldContext) -> dict[str, Any]:
        return titled({"type": "string", "format": "email", "pattern": _TYPED_EMAIL}, field)


class PhoneType(FieldType):
    """A phone number, stored in E.164 form (``+390612345678``).

    Numbers written without a ``+`` country code are read as numbers of the
    workspace's region (``workspace.region``).
    """

    name = "phone"
    label = "Phone"
    description = "A phone number, written locally or with its +country code."
    # stored as E.164, so "06 1234 5678" and "+39 06 12345678" are already equal;
    # a home phone is shared by a family: weaker than an e-mail address
    identity = Identity("exact", weight=0.85)

    def validate(self, value: Any, field: FieldDef, ctx: FieldContext) -> str:
        import phonenumbers

        if isinstance(value, phonenumbers.PhoneNumber):
            number = value
        elif isinstance(value, str):
            number = self._parse(value.strip(), ctx)
        else:
            raise FieldValueError(self._expected(ctx))
        if not phonenumbers.is_valid_number(number):
            raise FieldValueError(self._expected(ctx))
        if number.extension:
            # E.164 has no room for an extension; storing the number without
            # it would quietly lose part of what was typed.
            raise FieldValueError(f"{self._expected(ctx)}, without an extension")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def render(self, raw: JSONValue, field: FieldDef, ctx: FieldContext) -> str:
        import phonenumbers

        try:
            number = phonenumbers.parse(str(raw), None)
        except phonenumbers.NumberParseException:
            # A value stored by an older version or edited by hand: show it
            # as it is rather than failing the whole table.
            return str(raw)
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

    def export_text(self, raw: JSONValue, field: FieldDef, ctx: FieldContext) -> str:
        # E.164 as stored: what other software reads best, and no formatting
        # pass per number (which made a 100,000-customer CSV export 3x slower)
        return str(raw)

    def json_schema(self, field: FieldDef, ctx: FieldContext) -> dict[str, Any]:
        schema = {"type": "string", "pattern": _TYPED_PHONE, "examples": [self._example(ctx)]}
        return titled(schema, field)

    def _parse(self, text: str, ctx: FieldContext) -> PhoneNumber:
        import phonenumbers

        try:
            return phonenumbers.parse(text, ctx.region)
        except phonenumbers.NumberParseException as exc:
            no_country = exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE
            if no_country and ctx.region is None:
                raise FieldValueError(
                    f"a phone number with its +country code, such as {_FALLBACK_PHONE_EXAMPLE} "
                    "(or set workspace.region to read numbers without one as local)"
                ) from None
            raise FieldValueError(self._expected(ctx)) from None

    def _expected(self, ctx: FieldContext) -> str:
        return f"a phone number such as {self._example(ctx)}"

    def _example(self, ctx: FieldContext) -> str:
        import phonenumbers

        # A mobile number, as that is what most customers give a business.
        example = None
        if ctx.region is not None:
            example = phonenumbers.example_number_for_type(
                ctx.region, phonenumbers.PhoneNumberType.MOBILE
            )
        if example is None:
            return _FALLBACK_PHONE_EXAMPLE
        return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@hookimpl
def clientcard_register_field_types(register: Callable[[FieldType], None]) -> None:
    register(EmailType())
    register(PhoneType())
