"""What a workspace check reports: every problem found, one line each, and which
were repaired.

The store checks its own files (:meth:`~clientcard.core.store.Store.check`);
each capability checks what points from one record to another (customer
references, merges, documents' files).  See ``Workspace.check``.
"""

from __future__ import annotations

from attrs import frozen

from clientcard.core.store import Finding

__all__ = ["CheckReport", "Finding"]


@frozen
class CheckReport:
    """The findings of ``Workspace.check``, in the order they were found."""

    findings: tuple[Finding, ...] = ()

    @property
    def problems(self) -> list[Finding]:
        """What is still wrong (a check with ``repair`` leaves out what it rebuilt)."""
        return [f for f in self.findings if not f.repaired]

    @property
    def repaired(self) -> list[Finding]:
        """What the check rebuilt (caches: derived from the data, never data itself)."""
        return [f for f in self.findings if f.repaired]

    @property
    def ok(self) -> bool:
        """Whether nothing is left to fix."""
        return not self.problems
