"""``python -m journeylib report ...``: the same as the ``journeylib`` command."""

import sys

from journeylib.cli import main

sys.exit(main())
