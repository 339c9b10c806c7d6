"""clientcard: the customer-records core of booking and appointment software.

Open a :class:`Workspace`, add and find customers, define fields; write plugins
with :data:`hookimpl` (see docs/plugins.md).
"""

from clientcard.core.classify import Decision, RuleSet, StatusDef
from clientcard.core.duplicates import DuplicateGroup, LookAlike
from clientcard.core.errors import (
    ClientcardError,
    ConfigError,
    DuplicateError,
    FieldDefinitionError,
    FieldValueError,
    FormError,
    LikelyDuplicateError,
    MergeError,
    NotFoundError,
    PluginError,
    StoreError,
    UnknownFieldError,
    ValidationError,
    WorkspaceError,
)
from clientcard.core.facts import Facts
from clientcard.core.fields import FieldContext, FieldPreset, FieldType, Identity, IdScheme
from clientcard.core.forms import Form, FormCollector, FormResult
from clientcard.core.hookspecs import hookimpl
from clientcard.core.merge import Candidate, FieldValue, MergeStrategy
from clientcard.core.model import Customer, FieldDef
from clientcard.core.workspace import Workspace

__all__ = [
    "Candidate",
    "ClientcardError",
    "ConfigError",
    "Customer",
    "Decision",
    "DuplicateError",
    "DuplicateGroup",
    "Facts",
    "FieldContext",
    "FieldDef",
    "FieldDefinitionError",
    "FieldPreset",
    "FieldType",
    "FieldValue",
    "FieldValueError",
    "Form",
    "FormCollector",
    "FormError",
    "FormResult",
    "IdScheme",
    "Identity",
    "LikelyDuplicateError",
    "LookAlike",
    "MergeError",
    "MergeStrategy",
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
