"""``python -m journeylib.synth``: write the default synthetic shop to data/shop."""

from .shop import main

raise SystemExit(main())
