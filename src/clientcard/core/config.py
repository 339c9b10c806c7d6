"""``clientcard.toml``: typed settings, their validation, and comment-keeping edits.

Every table is declared by someone: the core declares ``[workspace]``,
``[storage]`` and ``[plugins]``; plugins declare theirs through
``clientcard_register_settings``.  A declaration is an attrs class whose
attributes have defaults; the file's table is checked against it strictly
(unknown keys and wrong types are errors naming the key and what is expected).
A top-level table nobody declares is only warned about: it may belong to a
plugin that is disabled or failed to load.
"""

from __future__ import annotations

import functools
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
from attrs import define, field, validators

from clientcard.core.errors import ConfigError
from clientcard.core.files import replace_whole

CONFIG_NAME = "clientcard.toml"


def _region(_: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None and not re.fullmatch(r"[A-Z]{2}", value):
        raise ValueError("a two-letter ISO 3166 region code in capitals, such as IT or US")


def _currency(_: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None and not re.fullmatch(r"[A-Z]{3}", value):
        raise ValueError("a three-letter ISO 4217 currency code, such as EUR or USD")


def _timezone(_: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("an IANA time zone name, such as Europe/Rome or UTC") from None


# -- real codes: what Babel (CLDR) knows ---------------------------------------------
# Babel is imported inside these functions: reading the settings at start-up must
# not pay for it; only writing a setting, and reading an amount, do.

#: two-letter codes CLDR has that are no country or territory to do business in
_NOT_REGIONS = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"})
#: what a currency setting can be set to, in a message
CURRENCY_HINT = "clientcard config set workspace.currency CODE"


@functools.lru_cache(maxsize=256)
def known_currency(code: str) -> bool:
    """Whether ``code`` is an ISO 4217 currency code (CLDR's list, historic ones too)."""
    from babel.numbers import is_currency

    return bool(re.fullmatch(r"[A-Z]{3}", code)) and is_currency(code)


@functools.lru_cache(maxsize=64)
def known_region(code: str) -> str | None:
    """The English name of ISO 3166 region ``code`` (``"IT"``: Italy), None if unknown."""
    from babel import Locale

    if not re.fullmatch(r"[A-Z]{2}", code) or code in _NOT_REGIONS:
        return None
    name: str | None = Locale("en").territories.get(code)
    return name


@functools.lru_cache(maxsize=64)
def known_locale(name: str) -> bool:
    """Whether Babel knows locale ``name`` (``en``, ``fa``, ``fa_IR``, ``fa-IR``)."""
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(name.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return False
    return True


def region_currencies(region: str) -> tuple[str, ...]:
    """The currencies legal tender in ``region`` today, the main one first (IT: EUR)."""
    from babel.numbers import get_territory_currencies

    if known_region(region) is None:
        return ()
    return tuple(get_territory_currencies(region, tender=True))


def names(registry: str, default: str | None, *, optional: bool = False) -> Any:
    """A setting that names something plugins register (``registry``: the
    :class:`~clientcard.core.plugins.PluginHost` attribute, e.g. ``"rule_sets"``);
    ``optional``: ``""`` turns it off.  Checked against what is installed when
    the setting is written."""
    return field(default=default, metadata={"names": registry, "optional": optional})


def _named(plugins: Any, key: str, value: Any, registry_name: str, optional: bool) -> None:
    """Refuse a setting naming something no enabled plugin registers."""
    registry = getattr(plugins, registry_name)
    if value in registry or (optional and value in (None, "")):
        return
    found = sorted(reg.name for reg in registry)
    off = ' (or "" for none)' if optional else ""
    raise ConfigError(
        f"{key}: no {registry.kind} {value!r}; installed: {', '.join(found) or 'none'}{off}"
    )


def check_setting(
    key: str, value: Any, plugins: Any, metadata: Mapping[str, Any] | None = None
) -> None:
    """Refuse a value that has the right form but names nothing real.

    A setting declared with :func:`names` must name something installed (in
    ``plugins``, the workspace's :class:`~clientcard.core.plugins.PluginHost`);
    currencies, regions and locales must be codes Babel knows.  Checked when a
    setting is written (``config set``, ``init``), not each time the file is
    read: a command that never reads an amount should not load Babel.
    """
    if metadata and "names" in metadata:
        _named(plugins, key, value, metadata["names"], metadata["optional"])
    elif value is None:
        return
    elif key == "workspace.currency" and not known_currency(value):
        raise ConfigError(
            f"workspace.currency: {value!r} is not an ISO 4217 currency code; "
            "expected one such as EUR, USD, GBP or IRR"
        )
    elif key == "workspace.region" and known_region(value) is None:
        raise ConfigError(
            f"workspace.region: no region {value!r}; expected an ISO 3166 country code "
            "such as IT, US, DE or IR"
        )
    elif key == "workspace.locale" and not known_locale(value):
        raise ConfigError(
            f"workspace.locale: no locale {value!r}; expected a language code such as "
            "en, it, de or fa, or a language and region such as fa_IR"
        )


@define(frozen=True)
class WorkspaceSettings:
    """``[workspace]``: how values are read and shown."""

    #: region for phone numbers written without a country code
    region: str | None = field(default=None, validator=_region)
    #: currency for money amounts written without one
    currency: str | None = field(default=None, validator=_currency)
    #: the business's time zone: dates are calendar dates there
    timezone: str = field(default="UTC", validator=_timezone)
    #: the language values are read and shown in; with ``region`` it decides how
    #: numbers are written (locale en in region IT writes 1.234,56: docs/fields.md)
    locale: str = "en"


def _seconds(_: Any, attribute: attrs.Attribute[Any], value: float) -> None:
    if not 0 <= value < float("inf"):  # (nan too)
        raise ValueError("a number of seconds, 0 or more, such as 30")


@define(frozen=True)
class StorageSettings:
    """``[storage]``: which backend keeps the data, and how long to wait for it."""

    backend: str = names("storage_backends", "tinydb")
    #: seconds to wait for another process's hold on the workspace (a write, a long
    #: import) before giving up with a message naming it; 0 gives up at once
    lock_timeout: float = field(default=30.0, validator=_seconds)


@define(frozen=True)
class PluginsSettings:
    """``[plugins]``: plugins to leave out, built-ins included."""

    disabled: list[str] = field(factory=list, validator=validators.instance_of(list))


#: the core's own tables; each capability brings its own (``SETTINGS`` in its package)
CORE_TABLES: dict[str, type[Any]] = {
    "workspace": WorkspaceSettings,
    "storage": StorageSettings,
    "plugins": PluginsSettings,
}


def read_raw(path: Path) -> dict[str, Any]:
    """The parsed TOML file ({} when absent); a syntax error is a ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid TOML: {exc}") from None


def raw_disabled(raw: Mapping[str, Any]) -> list[str]:
    """``[plugins] disabled`` before the full check (the plugins decide the rest)."""
    value = raw.get("plugins", {}).get("disabled", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{CONFIG_NAME}: plugins.disabled: expected a list of plugin names")
    return value


# -- strict type checks ------------------------------------------------------------


def describe(hint: Any) -> str:
    """A type hint in words, for error messages."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        parts = [describe(a) for a in typing.get_args(hint) if a is not type(None)]
        return " or ".join(parts)
    if origin is list:
        (inner,) = typing.get_args(hint) or (Any,)
        return f"a list of {describe(inner).removeprefix('a ').removeprefix('an ')}s"
    if origin is dict:
        _, inner = typing.get_args(hint) or (str, Any)
        return f"a table of {describe(inner).removeprefix('a ').removeprefix('an ')}s by name"
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(hint))
    return {
        bool: "true or false",
        int: "a whole number",
        float: "a number",
        str: "a string",
    }.get(hint, getattr(hint, "__name__", str(hint)))


def fits(value: Any, hint: Any) -> bool:
    """Whether a TOML value fits a type hint exactly (no silent conversions)."""
    origin = typing.get_origin(hint)
    if hint is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(fits(value, a) for a in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if origin is list:
        (inner,) = typing.get_args(hint) or (Any,)
        return isinstance(value, list) and all(fits(v, inner) for v in value)
    if origin is dict:
        key, inner = typing.get_args(hint) or (str, Any)
        return isinstance(value, dict) and all(
            fits(k, key) and fits(v, inner) for k, v in value.items()
        )
    if origin is typing.Literal:
        return value in typing.get_args(hint)
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True


def toml_text(value: Any) -> str:
    """A setting's value as clientcard.toml writes it (``true``, ``["a"]``, ``{x = 1}``),
    never Python's repr; text keeps the quotes every message gives it."""
    if isinstance(value, str):
        return repr(value)
    import tomlkit  # only a message needs it: keep it off the start-up path

    try:
        if isinstance(value, Mapping):
            table = tomlkit.inline_table()
            table.update(value)
            return str(table.as_string())
        return str(tomlkit.item(value).as_string())
    except (TypeError, ValueError):  # a value TOML cannot hold (set in Python)
        return str(value)


def build(table: str, cls: type[Any], values: Mapping[str, Any]) -> Any:
    """An instance of ``cls`` from a table's values, checked strictly."""
    hints = typing.get_type_hints(cls)
    names = {a.name for a in attrs.fields(cls)}
    for key, value in values.items():
        if key not in names:
            known = ", ".join(sorted(names))
            raise ConfigError(
                f"{CONFIG_NAME}: unknown key '{table}.{key}'; [{table}] knows: {known}"
            )
        if not fits(value, hints[key]):
            raise ConfigError(
                f"{CONFIG_NAME}: {table}.{key} = {toml_text(value)} has the wrong type; "
                f"expected {describe(hints[key])}"
            )
    for attribute in attrs.fields(cls):
        if attribute.name in values and attribute.validator is not None:
            value = values[attribute.name]
            try:
                attribute.validator(None, attribute, value)
            except (ValueError, TypeError) as exc:
                raise ConfigError(
                    f"{CONFIG_NAME}: {table}.{attribute.name} = {toml_text(value)} is not valid; "
                    f"expected {exc}"
                ) from None
    try:
        return cls(**values)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{CONFIG_NAME}: [{table}] is not valid: {exc}") from None


def _unclaimed(table: str) -> str:
    return (
        f"{CONFIG_NAME}: table [{table}] is not used by any loaded plugin "
        "(a plugin may be disabled or missing; see 'clientcard plugins')"
    )


_HEADER = re.compile(r"^\[\[?[\w.\-\"' ]+\]\]?\s*(#.*)?$")


def _spaced(text: str) -> str:
    """A blank line before each table header that tomlkit wrote right after a value."""
    out: list[str] = []
    for line in text.splitlines():
        if _HEADER.match(line) and out and out[-1].strip() and not out[-1].lstrip().startswith("#"):
            out.append("")
        out.append(line)
    return "\n".join(out) + "\n"


def _sub(raw: Mapping[str, Any], dotted: str) -> Mapping[str, Any] | None:
    node: Any = raw
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, Mapping) else None


class Settings:
    """The checked settings of a workspace: one attrs instance per declared table."""

    def __init__(self, raw: Mapping[str, Any], declared: Mapping[str, type[Any]]) -> None:
        self.declared = dict(declared)
        self.tables: dict[str, Any] = {}
        self.warnings: list[str] = []
        for table, cls in sorted(self.declared.items()):
            section = _sub(raw, table) or {}
            names = {a.name for a in attrs.fields(cls)}
            own = {}
            for k, v in section.items():
                dotted = f"{table}.{k}"
                nested = any(t.startswith(dotted + ".") for t in self.declared)
                if dotted in self.declared or nested:
                    continue
                if isinstance(v, Mapping) and k not in names:
                    # e.g. [status.regulars] whose rule set's plugin is not installed
                    self.warnings.append(_unclaimed(dotted))
                    continue
                own[k] = v
            self.tables[table] = build(table, cls, own)
        for key in raw:
            if not any(t == key or t.startswith(key + ".") for t in self.declared):
                self.warnings.append(_unclaimed(key))

    def __getitem__(self, table: str) -> Any:
        return self.tables[table]

    def locate(self, key: str) -> tuple[str, attrs.Attribute[Any]]:
        """The declared table and attribute of a dotted key such as ``workspace.region``."""
        table, _, name = key.rpartition(".")
        cls = self.declared.get(table)
        if cls is not None:
            for attribute in attrs.fields(cls):
                if attribute.name == name:
                    return table, attribute
        raise ConfigError(f"unknown setting {key!r}; see 'clientcard config list'")

    def value(self, key: str) -> Any:
        table, attribute = self.locate(key)
        return getattr(self.tables[table], attribute.name)

    def items(self) -> list[tuple[str, Any, bool]]:
        """Every setting: dotted key, value, and whether it is the default."""
        rows = []
        for table, instance in sorted(self.tables.items()):
            for attribute in attrs.fields(type(instance)):
                value = getattr(instance, attribute.name)
                default = attribute.default
                if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                    default = default.factory()
                rows.append((f"{table}.{attribute.name}", value, value == default))
        return rows


def parse_setting(text: str, hint: Any) -> Any:
    """Read a value typed on the command line for a setting of type ``hint``."""
    textual = hint is str or str in typing.get_args(hint)
    if textual and typing.get_origin(hint) not in (list, dict):
        return text
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        value = text
    if typing.get_origin(hint) is list and not isinstance(value, list):
        value = [part.strip() for part in text.split(",") if part.strip()]
    return value


class ConfigFile:
    """Edits ``clientcard.toml`` in place, keeping the user's comments and layout."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def document(self) -> Any:
        import tomlkit  # only edits need it: keep it off the start-up path

        if not self.path.exists():
            return tomlkit.document()
        return tomlkit.parse(self.path.read_text(encoding="utf-8"))

    def set(self, key: str, value: Any) -> None:
        import tomlkit

        doc = self.document()
        *tables, name = key.split(".")
        node: Any = doc
        for part in tables:
            if part not in node:
                node[part] = tomlkit.table(is_super_table=part != tables[-1])
            node = node[part]
        if isinstance(value, dict):  # tiers = { bronze = 0, silver = 500 }: one line
            inline = tomlkit.inline_table()
            inline.update(value)
            value = inline
        node[name] = value
        self._save(doc)

    def unset(self, key: str) -> bool:
        doc = self.document()
        *tables, name = key.split(".")
        node: Any = doc
        for part in tables:
            if part not in node:
                return False
            node = node[part]
        if name not in node:
            return False
        del node[name]
        self._save(doc)
        return True

    def _save(self, doc: Any) -> None:
        try:
            replace_whole(self.path, _spaced(doc.as_string()).encode("utf-8"))
        except OSError as exc:
            # a full disk, a read-only file: the file is as it was, and nothing is left
            raise ConfigError(f"cannot write {self.path.name}: {exc.strerror or exc}") from None
