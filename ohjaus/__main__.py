"""`python -m ohjaus`: the `ohjaus` command."""

import sys

from .cli import main

sys.exit(main())
