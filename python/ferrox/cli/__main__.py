"""``python -m ferrox.cli``: the same as the ``ferrox`` console script."""

from ferrox.cli import main

main()
