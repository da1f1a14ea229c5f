"""``python -m mirloc_core``: see :mod:`mirloc_core.cli`."""

import sys

from .cli import main

sys.exit(main())
