"""Deprecated: the action-kind contract lives in :mod:`clientcard.actions.kinds`.

Import ``Action`` and ``ActionKind`` from ``clientcard`` instead.  This
module goes in clientcard 0.3.
"""

from clientcard.core.moved import moved_to

__getattr__ = moved_to(__name__, "clientcard.actions.kinds")
