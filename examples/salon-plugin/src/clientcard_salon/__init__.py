"""clientcard plugins for hair salons (see README.md; the hooks are in ``plugin.py``)."""

__version__ = "1.0.0"
