"""``[duplicates]`` and ``[merge]``: what makes two customers one person, how records merge."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from attrs import define, field, validators

from clientcard.core.config import CONFIG_NAME, fits, names, toml_text
from clientcard.core.errors import ConfigError

#: how a field's values are compared when looking for duplicates (docs/duplicates.md)
MATCHES = ("exact", "normalised", "fuzzy")
_RULE_KEYS = {
    "match": "one of " + ", ".join(map(repr, MATCHES)),
    "weight": "a number from 0 to 1",
    "mismatch": "a number from 0 to 1",
}


def _unit(_: Any, attribute: attrs.Attribute[Any], value: float) -> None:
    if not 0 <= value <= 1:
        raise ValueError("a number from 0 to 1")


def _field_rules(_: Any, attribute: attrs.Attribute[Any], value: dict[str, Any]) -> None:
    """Check each ``[duplicates.fields.<key>]`` table, naming the exact key at fault.

    Raises :class:`ConfigError` itself (not ValueError): the message names the
    nested key, which ``build`` could only name as the whole ``fields`` table.
    """
    for key, rule in value.items():
        where = f"{CONFIG_NAME}: duplicates.fields.{key}"
        if not isinstance(rule, Mapping):
            raise ConfigError(
                f"{where} = {toml_text(rule)} has the wrong type; expected a table such as "
                f'[duplicates.fields.{key}] with match = "exact" and weight = 0.9'
            )
        for name, given in rule.items():
            expected = _RULE_KEYS.get(name)
            if expected is None:
                known = ", ".join(_RULE_KEYS)
                raise ConfigError(f"{where}: unknown key {name!r}; a field's table knows: {known}")
            number = fits(given, float) and 0 <= given <= 1
            if not (given in MATCHES if name == "match" else number):
                raise ConfigError(
                    f"{where}.{name} = {toml_text(given)} is not valid; expected {expected}"
                )


@define(frozen=True)
class DuplicatesSettings:
    """``[duplicates]``: what makes two customers look like one person (docs/duplicates.md).

    ``fields`` maps a field key to its rule: ``match`` (exact, normalised or
    fuzzy), ``weight`` (0 to 1; 0 leaves a default field out) and
    ``mismatch`` (0 to 1: how much two different values lower the score).
    Fields not named keep the defaults their type (or key) gives.
    """

    #: pairs scoring below this are not reported as duplicates
    min_score: float = field(default=0.8, validator=_unit)
    fields: dict[str, Any] = field(factory=dict, validator=_field_rules)


@define(frozen=True)
class MergeSettings:
    """``[merge]``: how records are merged (docs/duplicates.md)."""

    #: the strategy ``clientcard merge`` uses without --strategy
    strategy: str = names("merge_strategies", "most-complete")
    #: fields whose values are added up rather than chosen (opening totals)
    sum_fields: list[str] = field(
        factory=lambda: ["opening_total"], validator=validators.instance_of(list)
    )


SETTINGS: dict[str, type[Any]] = {"duplicates": DuplicatesSettings, "merge": MergeSettings}
