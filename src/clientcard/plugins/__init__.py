"""The built-in plugins, each registered exactly as a vendor's plugin is.

They are listed as entry points of the group ``clientcard`` in clientcard's own
``pyproject.toml``; the core loads them the same way it loads third-party ones.
"""
