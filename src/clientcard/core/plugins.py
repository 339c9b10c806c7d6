"""The plugin host: one pluggy manager per workspace, with registries and load errors.

Plugins come from the entry-point group ``clientcard``; clientcard's own
built-ins are entry points of that group too, so they load exactly as a
vendor's plugin does.  Each plugin loads in its own ``try``: one that fails to
import, has a malformed hook or raises while registering is recorded with its
error (``clientcard plugins`` shows it) and the rest keeps working.
"""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any, Generic, TypeVar

import attrs
import click
import pluggy
from attrs import define, field, frozen

from clientcard.core import hookspecs
from clientcard.core.errors import PluginError
from clientcard.core.fields import FieldPreset, FieldType, IdScheme
from clientcard.core.store import StoreFactory

ENTRY_POINT_GROUP = "clientcard"
DISABLE_ENV = "CLIENTCARD_DISABLE_PLUGINS"
CORE = "clientcard (core)"

T = TypeVar("T")


@define
class PluginInfo:
    """What ``clientcard plugins`` reports of one plugin."""

    name: str
    distribution: str | None = None
    version: str | None = None
    builtin: bool = False
    disabled: bool = False
    hooks: list[str] = field(factory=list)
    registered: dict[str, list[str]] = field(factory=dict)
    error: str | None = None


@frozen
class Registered(Generic[T]):
    name: str
    item: T
    plugin: str


class Registry(Generic[T]):
    """Named items of one kind (field types, exporters ...) and the plugin that gave each."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, Registered[T]] = {}
        self.conflicts: list[str] = []

    def add(self, name: str, item: T, plugin: str) -> None:
        existing = self._items.get(name)
        if existing is not None:
            self.conflicts.append(
                f"{self.kind} {name!r} is registered by both plugin {existing.plugin!r} "
                f"and plugin {plugin!r}; disable one of them in [plugins] disabled "
                f"or {DISABLE_ENV}"
            )
            return
        self._items[name] = Registered(name, item, plugin)

    def get(self, name: str) -> T:
        try:
            return self._items[name].item
        except KeyError:
            available = ", ".join(sorted(self._items)) or "none"
            raise PluginError(
                f"no {self.kind} {name!r}; available: {available} (see 'clientcard plugins')"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[Registered[T]]:
        return iter(self._items.values())

    def items(self) -> dict[str, T]:
        return {name: reg.item for name, reg in self._items.items()}


@frozen
class Kind(Generic[T]):
    """One kind of thing plugins register: its hook, its name, what it must be.

    ``register(item)`` takes an instance of ``contract`` with a ``name``;
    with ``named=True`` it is ``register(name, item)`` instead (storage
    backends, settings tables).  An item with a ``settings_class`` (rule
    sets, action kinds) declares it as the table ``[settings_table.NAME]``.
    Capability packages declare their kinds beside their contracts; the
    host registers every kind it is given, so a new kind needs no change
    here (``registries()``, ``check()`` and ``clientcard plugins`` follow).
    """

    hook: str
    label: str
    plural: str
    attribute: str
    contract: type[Any] | None = None
    contract_name: str = ""
    named: bool = False
    settings_table: str | None = None


def _settings_class(table: str, cls: Any) -> None:
    if not attrs.has(cls):
        raise PluginError(f"settings for [{table}] must be an attrs class, got {cls!r}")


FIELD_TYPES: Kind[FieldType] = Kind(
    "clientcard_register_field_types",
    "field type",
    "field types",
    "field_types",
    FieldType,
    "clientcard.FieldType",
)
ID_SCHEMES: Kind[IdScheme] = Kind(
    "clientcard_register_id_schemes",
    "id scheme",
    "id schemes",
    "id_schemes",
    IdScheme,
    "clientcard.IdScheme",
)
FIELD_PRESETS: Kind[FieldPreset] = Kind(
    "clientcard_register_field_presets",
    "field preset",
    "field presets",
    "field_presets",
    FieldPreset,
    "clientcard.FieldPreset",
)
STORAGE_BACKENDS: Kind[StoreFactory] = Kind(
    "clientcard_register_storage_backends",
    "storage backend",
    "storage backends",
    "storage_backends",
    named=True,
)
SETTINGS: Kind[type[Any]] = Kind(
    "clientcard_register_settings", "settings table", "settings", "settings", named=True
)
#: the kinds the core itself has (a workspace adds its capabilities' kinds)
CORE_KINDS: tuple[Kind[Any], ...] = (
    FIELD_TYPES,
    ID_SCHEMES,
    FIELD_PRESETS,
    STORAGE_BACKENDS,
    SETTINGS,
)


def blocked_names(configured: Iterable[str]) -> set[str]:
    """Plugin names disabled by the config and by ``$CLIENTCARD_DISABLE_PLUGINS``."""
    from_env = os.environ.get(DISABLE_ENV, "")
    return {n.strip() for n in [*configured, *from_env.split(",")] if n.strip()}


class PluginHost:
    """The pluggy manager of one workspace, its plugins' registries and their errors.

    ``extra`` plugins (objects or modules with hook functions) are registered
    after the entry points: a host application passes its event handlers here,
    tests pass the plugin under test.  ``kinds`` are what plugins may register:
    the core's own (:data:`CORE_KINDS`) and those of the capabilities in use.
    """

    def __init__(
        self,
        *,
        disabled: Collection[str] = (),
        extra: Iterable[object] = (),
        entry_points: bool = True,
        kinds: Iterable[Kind[Any]] = CORE_KINDS,
    ) -> None:
        # settings last: other kinds declare settings tables (a rule set's), and a
        # name given twice is best reported as itself, not as its settings table
        given = tuple(kinds)
        self.kinds = (*(k for k in given if k is not SETTINGS), SETTINGS)
        self.pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self.blocked = blocked_names(disabled)
        for name in sorted(self.blocked):
            self.pm.set_blocked(name)
        if entry_points:
            for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
                self._load_entry_point(ep)
        for plugin in extra:
            name = getattr(plugin, "__name__", None) or type(plugin).__name__
            self._register(plugin, PluginInfo(name=name))
        self._drop_unknown_hooks()
        self._registries: dict[str, Registry[Any]] = {k.hook: Registry(k.label) for k in self.kinds}
        for kind in self.kinds:
            self._collect(kind)

    # -- loading -----------------------------------------------------------------

    def _load_entry_point(self, ep: importlib.metadata.EntryPoint) -> None:
        dist = ep.dist
        info = PluginInfo(
            name=ep.name,
            distribution=dist.name if dist else None,
            version=dist.version if dist else None,
            builtin=bool(dist and dist.name == "clientcard"),
        )
        if ep.name in self.blocked:
            info.disabled = True
            self.infos[ep.name] = info
            return
        try:
            plugin = ep.load()
        except Exception as exc:  # a broken plugin must not stop the others
            info.error = f"failed to load {ep.value}: {type(exc).__name__}: {exc}"
            self.infos[ep.name] = info
            return
        self._register(plugin, info)

    def _register(self, plugin: object, info: PluginInfo) -> None:
        self.infos[info.name] = info
        try:
            self.pm.register(plugin, name=info.name)
        except (ValueError, pluggy.PluginValidationError) as exc:
            info.error = f"cannot register: {exc}"
            return
        info.hooks = sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or ())

    def _drop_unknown_hooks(self) -> None:
        for name in list(self.pm.hook.__dict__):
            if name.startswith("_"):
                continue
            caller = getattr(self.pm.hook, name)
            if caller.has_spec():
                continue
            for impl in caller.get_hookimpls():
                if impl.optionalhook:
                    continue
                info = self.infos[impl.plugin_name]
                info.error = f"implements unknown hook {name!r} (misspelt?); plugin not used"
                info.hooks = []
                if self.pm.is_registered(impl.plugin):
                    self.pm.unregister(impl.plugin)

    # -- registries ----------------------------------------------------------------

    def registry(self, kind: Kind[T]) -> Registry[T]:
        """What plugins registered of ``kind``, typed: ``host.registry(EXPORTERS)``."""
        found: Registry[T] = self._registries[kind.hook]
        return found

    def __getattr__(self, attribute: str) -> Registry[Any]:
        # host.exporters, host.rule_sets ...: the registries by their attribute name
        for kind in self.__dict__.get("kinds", ()):
            if kind.attribute == attribute:
                return self._registries[kind.hook]
        raise AttributeError(attribute)

    def _collect(self, kind: Kind[Any]) -> None:
        """Call every implementation of ``kind``'s hook, each with its own ``register``,
        so that each registered item knows its plugin."""
        registry = self._registries[kind.hook]
        for impl in getattr(self.pm.hook, kind.hook).get_hookimpls():
            plugin = impl.plugin_name
            register = self._register_for(kind, registry, plugin)
            try:
                impl.function(**{arg: register for arg in impl.argnames})
            except Exception as exc:
                self.infos[plugin].error = f"{kind.hook} raised {type(exc).__name__}: {exc}"

    def _register_for(
        self, kind: Kind[Any], registry: Registry[Any], plugin: str
    ) -> Callable[..., None]:
        def add(name: str, item: Any) -> None:
            self._note(plugin, kind.plural, name)
            registry.add(name, item, plugin)
            settings_class = getattr(item, "settings_class", None)
            if kind.settings_table is not None and settings_class is not None:
                self._declare(f"{kind.settings_table}.{name}", settings_class, plugin)

        if kind.named:

            def register_named(name: str, item: Any) -> None:
                if kind is SETTINGS:
                    _settings_class(name, item)
                add(name, item)

            return register_named

        def register(item: Any) -> None:
            contract = kind.contract
            if (contract is not None and not isinstance(item, contract)) or not isinstance(
                getattr(item, "name", None), str
            ):
                raise PluginError(
                    f"register() needs a {kind.contract_name} instance with a name, got {item!r}"
                )
            add(item.name, item)

        return register

    def _declare(self, table: str, cls: type[Any], plugin: str) -> None:
        _settings_class(table, cls)
        self._note(plugin, SETTINGS.plural, table)
        self.registry(SETTINGS).add(table, cls, plugin)

    def _note(self, plugin: str, kind: str, name: str) -> None:
        self.infos[plugin].registered.setdefault(kind, []).append(name)

    def check(self) -> None:
        """Raise the first registration conflict: two plugins giving one name."""
        for registry in self.registries():
            if registry.conflicts:
                raise PluginError(registry.conflicts[0])

    def problems(self) -> list[str]:
        """Every load error and registration conflict, one line each."""
        lines = [f"plugin {i.name!r}: {i.error}" for i in self.infos.values() if i.error]
        for registry in self.registries():
            lines.extend(registry.conflicts)
        return lines

    def registries(self) -> tuple[Registry[Any], ...]:
        return tuple(self._registries.values())

    def listens(self, event: str) -> bool:
        """Whether any plugin implements the event hook ``clientcard_<event>``."""
        return bool(getattr(self.pm.hook, f"clientcard_{event}").get_hookimpls())

    def add_settings(self, table: str, cls: type[Any]) -> None:
        """Declare a settings table of the core itself."""
        self.registry(SETTINGS).add(table, cls, CORE)

    # -- commands ------------------------------------------------------------------------

    def register_commands(self, cli: click.Group) -> None:
        self.pm.hook.clientcard_register_commands(cli=cli)
