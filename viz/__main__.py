"""``python -m viz``: the ``circuitgrad`` command (see :mod:`viz.cli`)."""

from .cli import main

raise SystemExit(main())
