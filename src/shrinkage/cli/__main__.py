"""``python -m shrinkage.cli``: the ``shrinkage`` command."""

import sys

from shrinkage.cli import main

sys.exit(main())
