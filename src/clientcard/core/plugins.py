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
from clientcard.core.actions import ActionKind
from clientcard.core.classify import RuleSet
from clientcard.core.errors import PluginError
from clientcard.core.export import Exporter
from clientcard.core.fields import FieldPreset, FieldType, IdScheme
from clientcard.core.forms import FormCollector
from clientcard.core.merge import MergeStrategy
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


def _check_named(found: object, kind: type, what: str) -> None:
    """Refuse a registered object of the wrong kind, or without a name."""
    if not isinstance(found, kind) or not isinstance(getattr(found, "name", None), str):
        raise PluginError(f"register() needs a {what} instance with a name, got {found!r}")


def blocked_names(configured: Iterable[str]) -> set[str]:
    """Plugin names disabled by the config and by ``$CLIENTCARD_DISABLE_PLUGINS``."""
    from_env = os.environ.get(DISABLE_ENV, "")
    return {n.strip() for n in [*configured, *from_env.split(",")] if n.strip()}


class PluginHost:
    """The pluggy manager of one workspace, its plugins' registries and their errors.

    ``extra`` plugins (objects or modules with hook functions) are registered
    after the entry points: a host application passes its event handlers here,
    tests pass the plugin under test.
    """

    def __init__(
        self,
        *,
        disabled: Collection[str] = (),
        extra: Iterable[object] = (),
        entry_points: bool = True,
    ) -> None:
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
        self.field_types: Registry[FieldType] = Registry("field type")
        self.id_schemes: Registry[IdScheme] = Registry("id scheme")
        self.field_presets: Registry[FieldPreset] = Registry("field preset")
        self.storage_backends: Registry[StoreFactory] = Registry("storage backend")
        self.settings: Registry[type[Any]] = Registry("settings table")
        self.rule_sets: Registry[RuleSet] = Registry("rule set")
        self.exporters: Registry[Exporter] = Registry("exporter")
        self.merge_strategies: Registry[MergeStrategy] = Registry("merge strategy")
        self.action_kinds: Registry[ActionKind] = Registry("action kind")
        self.form_collectors: Registry[FormCollector] = Registry("form collector")
        self._collect()

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

    def _collect(self) -> None:
        def field_type(plugin: str) -> Callable[..., None]:
            def register(ftype: FieldType) -> None:
                _check_named(ftype, FieldType, "clientcard.FieldType")
                self._note(plugin, "field types", ftype.name)
                self.field_types.add(ftype.name, ftype, plugin)

            return register

        def id_scheme(plugin: str) -> Callable[..., None]:
            def register(scheme: IdScheme) -> None:
                _check_named(scheme, IdScheme, "clientcard.IdScheme")
                self._note(plugin, "id schemes", scheme.name)
                self.id_schemes.add(scheme.name, scheme, plugin)

            return register

        def field_preset(plugin: str) -> Callable[..., None]:
            def register(preset: FieldPreset) -> None:
                _check_named(preset, FieldPreset, "clientcard.FieldPreset")
                self._note(plugin, "field presets", preset.name)
                self.field_presets.add(preset.name, preset, plugin)

            return register

        def storage(plugin: str) -> Callable[..., None]:
            def register(name: str, factory: StoreFactory) -> None:
                self._note(plugin, "storage backends", name)
                self.storage_backends.add(name, factory, plugin)

            return register

        def settings(plugin: str) -> Callable[..., None]:
            def register(table: str, cls: type[Any]) -> None:
                if not attrs.has(cls):
                    raise PluginError(f"settings for [{table}] must be an attrs class, got {cls!r}")
                self._note(plugin, "settings", table)
                self.settings.add(table, cls, plugin)

            return register

        def rule_set(plugin: str) -> Callable[..., None]:
            def register(rules: RuleSet) -> None:
                _check_named(rules, RuleSet, "clientcard.RuleSet")
                self._note(plugin, "rule sets", rules.name)
                self.rule_sets.add(rules.name, rules, plugin)
                if rules.settings_class is not None:
                    settings(plugin)(f"status.{rules.name}", rules.settings_class)

            return register

        def exporter(plugin: str) -> Callable[..., None]:
            def register(found: Exporter) -> None:
                _check_named(found, Exporter, "clientcard.core.export.Exporter")
                self._note(plugin, "exporters", found.name)
                self.exporters.add(found.name, found, plugin)

            return register

        def merge_strategy(plugin: str) -> Callable[..., None]:
            def register(found: MergeStrategy) -> None:
                _check_named(found, MergeStrategy, "clientcard.core.merge.MergeStrategy")
                self._note(plugin, "merge strategies", found.name)
                self.merge_strategies.add(found.name, found, plugin)

            return register

        def form_collector(plugin: str) -> Callable[..., None]:
            def register(found: FormCollector) -> None:
                _check_named(found, FormCollector, "clientcard.FormCollector")
                self._note(plugin, "form collectors", found.name)
                self.form_collectors.add(found.name, found, plugin)

            return register

        self._call_register("clientcard_register_field_types", field_type)

        def action_kind(plugin: str) -> Callable[..., None]:
            def register(found: ActionKind) -> None:
                _check_named(found, ActionKind, "clientcard.core.actions.ActionKind")
                self._note(plugin, "action kinds", found.name)
                self.action_kinds.add(found.name, found, plugin)
                if found.settings_class is not None:
                    settings(plugin)(f"actions.{found.name}", found.settings_class)

            return register

        self._call_register("clientcard_register_merge_strategies", merge_strategy)
        self._call_register("clientcard_register_action_kinds", action_kind)
        self._call_register("clientcard_register_form_collectors", form_collector)
        self._call_register("clientcard_register_exporters", exporter)
        self._call_register("clientcard_register_rule_sets", rule_set)
        self._call_register("clientcard_register_storage_backends", storage)
        self._call_register("clientcard_register_settings", settings)
        self._call_register("clientcard_register_id_schemes", id_scheme)
        self._call_register("clientcard_register_field_presets", field_preset)

    def _call_register(
        self, hook_name: str, make_register: Callable[[str], Callable[..., None]]
    ) -> None:
        # One call per implementation, so each registered item knows its plugin.
        for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
            register = make_register(impl.plugin_name)
            try:
                impl.function(**{arg: register for arg in impl.argnames})
            except Exception as exc:
                self.infos[
                    impl.plugin_name
                ].error = f"{hook_name} raised {type(exc).__name__}: {exc}"

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
        return (
            self.field_types,
            self.id_schemes,
            self.field_presets,
            self.rule_sets,
            self.exporters,
            self.merge_strategies,
            self.form_collectors,
            self.storage_backends,
            self.settings,
        )

    def add_settings(self, table: str, cls: type[Any]) -> None:
        """Declare a settings table of the core itself."""
        self.settings.add(table, cls, CORE)

    # -- the typed facade over pm.hook -------------------------------------------------

    def register_commands(self, cli: click.Group) -> None:
        self.pm.hook.clientcard_register_commands(cli=cli)

    def customer_created(self, workspace: Any, customer: Any) -> None:
        self.pm.hook.clientcard_customer_created(workspace=workspace, customer=customer)

    def customer_updated(self, workspace: Any, before: Any, after: Any) -> None:
        self.pm.hook.clientcard_customer_updated(workspace=workspace, before=before, after=after)

    def customer_deleted(self, workspace: Any, customer: Any) -> None:
        self.pm.hook.clientcard_customer_deleted(workspace=workspace, customer=customer)

    def status_changed(
        self,
        workspace: Any,
        customer: Any,
        dimension: str,
        old: str | None,
        new: str,
        reason: str,
        manual: bool,
    ) -> None:
        self.pm.hook.clientcard_status_changed(
            workspace=workspace,
            customer=customer,
            dimension=dimension,
            old=old,
            new=new,
            reason=reason,
            manual=manual,
        )

    def activity_recorded(
        self, workspace: Any, customer: Any, kind: str, record: dict[str, Any], created: bool
    ) -> None:
        self.pm.hook.clientcard_activity_recorded(
            workspace=workspace, customer=customer, kind=kind, record=record, created=created
        )

    def customers_merged(
        self, workspace: Any, survivor: Any, merged: list[int], merge_id: int
    ) -> None:
        self.pm.hook.clientcard_customers_merged(
            workspace=workspace, survivor=survivor, merged=merged, merge_id=merge_id
        )

    def customers_unmerged(self, workspace: Any, customers: list[Any], merge_id: int) -> None:
        self.pm.hook.clientcard_customers_unmerged(
            workspace=workspace, customers=customers, merge_id=merge_id
        )
