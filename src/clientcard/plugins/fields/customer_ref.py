"""The ``customer`` field type: a reference to another customer (referred by, partner ...).

Stored as the other customer's id, a JSON integer; typed as ``123`` or
``#123`` and shown as ``#123``.  A field type sees no workspace, so it checks
the form of the id, not that the customer exists: that is the workspace's
job (see docs/fields.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from clientcard.core.errors import FieldValueError
from clientcard.core.fields import FieldContext, FieldType
from clientcard.core.hookspecs import hookimpl
from clientcard.core.model import FieldDef, JSONValue
from clientcard.plugins.fields._common import titled

#: the largest id: the signed 64-bit range, as for integers
ID_MAX = 2**63 - 1
_ID_TEXT = re.compile(r"#?\s*([0-9]{1,19})")


class CustomerRefType(FieldType):
    """Another customer, by id: who referred this one, a partner, a parent."""

    name = "customer"
    label = "Customer"
    description = "Another customer, by id, such as who referred this one or a partner."

    _EXPECTED = "a customer id such as 123 or #123"

    def parse_text(self, text: str, field: FieldDef, ctx: FieldContext) -> Any:
        found = _ID_TEXT.fullmatch(text.strip())
        if found is None:
            raise FieldValueError(self._EXPECTED)
        return int(found[1])

    def validate(self, value: Any, field: FieldDef, ctx: FieldContext) -> int:
        if isinstance(value, str):
            value = self.parse_text(value, field, ctx)
        # bool is an int, but True is nobody
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= ID_MAX:
            raise FieldValueError(self._EXPECTED)
        return value

    def render(self, raw: JSONValue, field: FieldDef, ctx: FieldContext) -> str:
        return f"#{raw}"

    def export_text(self, raw: JSONValue, field: FieldDef, ctx: FieldContext) -> str:
        # the bare id: what other software (and a spreadsheet's look-up) reads best
        return str(raw)

    def json_schema(self, field: FieldDef, ctx: FieldContext) -> dict[str, Any]:
        return titled({"type": "integer", "minimum": 1, "maximum": ID_MAX}, field)


@hookimpl
def clientcard_register_field_types(register: Callable[[FieldType], None]) -> None:
    register(CustomerRefType())
