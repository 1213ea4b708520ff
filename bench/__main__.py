"""``python -m bench``: the same as ``bench/run``."""

import sys

from bench.main import main

sys.exit(main())
