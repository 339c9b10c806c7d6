"""clientcard: the customer-records core of booking and appointment software.

Open a :class:`Workspace`, add and find customers, define fields; write plugins
with :data:`hookimpl` (see docs/plugins.md).
"""

from clientcard.actions.kinds import Action, ActionKind
from clientcard.activity.facts import Facts
from clientcard.core.check import CheckReport
from clientcard.core.errors import (
    ClientcardError,
    ConfigError,
    DuplicateError,
    FieldDefinitionError,
    FieldValueError,
    FormError,
    LikelyDuplicateError,
    LockTimeoutError,
    MergeError,
    NotFoundError,
    PluginError,
    ReadOnlyError,
    StoreError,
    UnknownFieldError,
    ValidationError,
    WorkspaceError,
)
from clientcard.core.fields import (
    FieldContext,
    FieldPreset,
    FieldSchema,
    FieldType,
    Identity,
    IdScheme,
)
from clientcard.core.hookspecs import hookimpl
from clientcard.core.model import Customer, FieldDef, JSONValue
from clientcard.core.store import Finding
from clientcard.dedupe.detect import DuplicateGroup, LookAlike
from clientcard.dedupe.merge import Candidate, FieldValue, MergeStrategy
from clientcard.find.selection import Selection
from clientcard.forms.intake import Form, FormCollector, FormResult
from clientcard.status.classify import Decision, RuleSet, StatusDef
from clientcard.transfer.export import ExportContext, Exporter, neutralise, restore
from clientcard.workspace import Workspace

__all__ = [
    "Action",
    "ActionKind",
    "Candidate",
    "CheckReport",
    "ClientcardError",
    "ConfigError",
    "Customer",
    "Decision",
    "DuplicateError",
    "DuplicateGroup",
    "ExportContext",
    "Exporter",
    "Facts",
    "FieldContext",
    "FieldDef",
    "FieldDefinitionError",
    "FieldPreset",
    "FieldSchema",
    "FieldType",
    "FieldValue",
    "FieldValueError",
    "Finding",
    "Form",
    "FormCollector",
    "FormError",
    "FormResult",
    "IdScheme",
    "Identity",
    "JSONValue",
    "LikelyDuplicateError",
    "LockTimeoutError",
    "LookAlike",
    "MergeError",
    "MergeStrategy",
    "NotFoundError",
    "PluginError",
    "ReadOnlyError",
    "RuleSet",
    "Selection",
    "StatusDef",
    "StoreError",
    "UnknownFieldError",
    "ValidationError",
    "Workspace",
    "WorkspaceError",
    "hookimpl",
    "neutralise",
    "restore",
]
