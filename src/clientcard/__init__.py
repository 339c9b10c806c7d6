"""clientcard: the customer-records core of booking and appointment software.

Open a :class:`Workspace`, add and find customers, define fields; write plugins
with :data:`hookimpl` (see docs/plugins.md).
"""

from clientcard.core.classify import Decision, RuleSet, StatusDef
from clientcard.core.errors import (
    ClientcardError,
    ConfigError,
    DuplicateError,
    FieldDefinitionError,
    FieldValueError,
    NotFoundError,
    PluginError,
    StoreError,
    UnknownFieldError,
    ValidationError,
    WorkspaceError,
)
from clientcard.core.facts import Facts
from clientcard.core.fields import FieldContext, FieldType
from clientcard.core.hookspecs import hookimpl
from clientcard.core.model import Customer, FieldDef
from clientcard.core.workspace import Workspace

__all__ = [
    "ClientcardError",
    "ConfigError",
    "Customer",
    "Decision",
    "DuplicateError",
    "Facts",
    "FieldContext",
    "FieldDef",
    "FieldDefinitionError",
    "FieldType",
    "FieldValueError",
    "NotFoundError",
    "PluginError",
    "RuleSet",
    "StatusDef",
    "StoreError",
    "UnknownFieldError",
    "ValidationError",
    "Workspace",
    "WorkspaceError",
    "hookimpl",
]
