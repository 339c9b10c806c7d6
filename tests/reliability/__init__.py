"""The reliability suite: a package, so that its conftest is ``reliability.conftest`` and
never takes the place of tests/conftest.py, which other test modules import by name."""
