"""Intake forms: list them, describe one as a JSON Schema, take a submission.

:class:`Forms` is the workspace's forms service (``workspace.forms``).  A
submission is checked whole (every problem reported, nothing written on
any), then creates a card or updates the one its e-mail address, else its
phone number, matches, in one write.  See docs/forms.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import nullcontext
from typing import Any

from clientcard.core.context import Context
from clientcard.core.convert import customer_from_doc, to_json
from clientcard.core.errors import FormError, ValidationError, shown
from clientcard.core.fields import BUILTIN_KEYS
from clientcard.core.model import FieldDef
from clientcard.core.store import ReadSession
from clientcard.customers import records
from clientcard.customers.records import CUSTOMERS
from clientcard.customers.service import Customers
from clientcard.fields.service import FIELDS, Fields
from clientcard.forms.intake import (
    FORM_COLLECTORS,
    TABLE_PREFIX,
    CollectorEntry,
    Form,
    FormResult,
    ask,
    build_form,
    check_answers,
    form_names,
    json_schema,
    unknown_form,
)

#: the fields a submission is matched to an existing card by, in this order
MATCH_KEYS = ("email", "phone")


class Forms:
    """The intake forms ``clientcard.toml`` declares.  Calling the service lists them
    with the fields each asks (``workspace.forms()``)."""

    def __init__(self, ctx: Context, fields: Fields, customers: Customers) -> None:
        self.ctx = ctx
        self.fields = fields
        self.customers = customers

    def names(self) -> list[str]:
        """The intake forms ``clientcard.toml`` declares, built-in ones first."""
        return form_names(self.ctx.settings.tables)

    def __call__(self) -> list[Form]:
        """Every intake form with the fields it asks."""
        with self.ctx.read() as session:
            return [self._form(session, name) for name in self.names()]

    def get(self, name: str) -> Form:
        """The intake form ``name``; an unknown name is an error listing the forms."""
        with self.ctx.read() as session:
            return self._form(session, name)

    def schema(self, name: str) -> dict[str, Any]:
        """Form ``name`` as a JSON Schema (2020-12) for a website widget to render.

        Each field's property comes from its type's ``json_schema``, titled
        with its label and described by its help; ``required`` lists what the
        form requires and no other property is allowed.
        """
        with self.ctx.read() as session:
            return json_schema(self._form(session, name), self.fields.schema_in(session))

    def submit(self, name: str, answers: Mapping[str, Any], *, dry_run: bool = False) -> FormResult:
        """Check a submission of form ``name`` and create or update a card from it.

        ``answers`` maps field keys to values: JSON values as the form's JSON
        Schema describes them, or text as a person types it (the CLI's
        parsing).  Every problem is collected and raised together as
        :class:`~clientcard.FormError` (``errors`` by field key); then nothing
        is written.  A card whose e-mail address (else phone number) equals the
        answer's is updated with the answers given (blank answers leave its
        values alone; tags untouched); otherwise a card is created, with its
        first status from the configured rule set (``lead`` under
        lead-client-vip).  With ``dry_run`` nothing is written either way.
        """
        if not isinstance(answers, Mapping):
            raise ValidationError("answers", answers, "a JSON object of answers by field key")
        # a dry run makes the change and throws it away: the card's own checks (a
        # reference to a customer that does not exist) refuse what they refuse for real
        with self.ctx.preview() if dry_run else nullcontext(), self.ctx.write() as session:
            schema = self.fields.schema_in(session)
            form = self._form(session, name)
            checked, problems = check_answers(form, schema, answers, self._collectors())
            if problems:
                raise FormError(name, problems)
            # the answers as given (not their checked form): the card's own path
            # checks them again, exactly as it did here
            given = {key: answers[key] for key in checked}
            table = session.table(CUSTOMERS)
            matched_by, matched = None, None
            for key in MATCH_KEYS:
                if key in checked:
                    found = sorted(table.find(key, checked[key]))
                    if found:
                        matched_by, matched = key, found[0]
                        break
            found_doc = None if matched is None else records.existing(session, matched)
            before = None if found_doc is None else customer_from_doc(found_doc)
            try:
                if matched is None:
                    (customer,) = self.customers.add_many([given])
                else:
                    customer = self.customers.update(matched, given)
            except ValidationError as exc:
                if exc.field not in checked:
                    raise
                problem = f"{shown(exc.value)} is not valid; expected {exc.expected}"
                raise FormError(name, {exc.field: problem}) from None
        if dry_run:
            return FormResult(name, matched is None, before, checked, matched_by, True)
        # the answers as the card stores them: checked twice, a value taken at the time of
        # checking (a consent given "now") was taken again when the card was written
        stored = to_json(customer)
        answers = {
            key: stored[key] if key in BUILTIN_KEYS else stored["fields"].get(key)
            for key in checked
        }
        return FormResult(name, matched is None, customer, answers, matched_by)

    def _form(self, session: ReadSession, name: str) -> Form:
        known = self.names()
        if name not in known:
            raise unknown_form(name, known)
        schema = self.fields.schema_in(session)
        questions: list[tuple[str, FieldDef]] = []
        for collector, found, _ in sorted(self._collectors(), key=lambda entry: entry[0]):
            questions.extend((collector, q) for q in ask(collector, found, name))
        # the questions whose field only the plugins' questions define (not the
        # business: neither built-in nor stored; see forms.collected_fields)
        defined = BUILTIN_KEYS | {doc["key"] for doc in session.table(FIELDS)}
        provided = {q.key for _, q in questions} - defined
        settings = self.ctx.settings[f"{TABLE_PREFIX}{name}"]
        return build_form(name, settings, schema, questions, provided)

    def _collectors(self) -> list[CollectorEntry]:
        return [(r.name, r.item, r.plugin) for r in self.ctx.plugins.registry(FORM_COLLECTORS)]
