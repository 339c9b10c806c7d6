"""Intake questions for the scheduling form: hair type and allergies.

A stylist plans the time and the products of an appointment from these two
answers, so the salon asks them when a customer books online
(``clientcard forms schema scheduling``).  Each answer is kept on the customer's
card under its key, ``hair_type`` and ``allergies``: fields this plugin
provides, listed by ``clientcard fields list``, searched and exported like the
business's own.  A business that defines a field with one of these keys itself
keeps its own definition; the question then collects that field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from clientcard import FieldDef, FormCollector, JSONValue

HAIR_TYPES = ("straight", "wavy", "curly", "coily")
#: answers that say "an allergy" without saying which
VAGUE = frozenset({"yes", "y", "si", "sì", "true", "some", "allergic", "allergies"})


class SalonQuestions(FormCollector):
    name = "salon-intake"
    description = "Hair type (required) and allergies, asked when a customer books."

    def questions(self, form: str) -> Sequence[FieldDef]:
        if form != "scheduling":
            return []
        return [
            FieldDef(
                "hair_type",
                "Hair type",
                "choice",
                required=True,
                choices=HAIR_TYPES,
                help="So that we book the right time for you.",
            ),
            FieldDef(
                "allergies",
                "Allergies",
                "text",
                help="Hair dye (PPD), latex, fragrances ...; leave blank if none.",
            ),
        ]

    def check(self, form: str, answers: Mapping[str, JSONValue]) -> Mapping[str, str]:
        allergies = answers.get("allergies")
        vague = isinstance(allergies, str) and allergies.strip().casefold().rstrip(".!") in VAGUE
        if form == "scheduling" and vague:
            return {"allergies": "which allergies, such as hair dye (PPD) or latex"}
        return {}
