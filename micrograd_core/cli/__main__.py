"""`python -m micrograd_core.cli`: the same as the `micrograd` console script."""

import sys

from . import main

sys.exit(main())
