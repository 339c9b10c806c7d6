"""``python -m clientcard``: the same as the ``clientcard`` command."""

from clientcard.cli import main

main()
