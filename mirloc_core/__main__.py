"""``python -m mirloc_core``: see :mod:`mirloc_core.cli`."""

import sys

from mirloc_core.cli import main

sys.exit(main())
