"""Deprecated: the exporter contract lives in :mod:`clientcard.transfer.export`.

Import ``Exporter``, ``ExportContext``, ``neutralise`` and ``restore`` from
``clientcard`` instead.  This module goes in clientcard 0.3.
"""

from clientcard.core.moved import moved_to

__getattr__ = moved_to(__name__, "clientcard.transfer.export")
