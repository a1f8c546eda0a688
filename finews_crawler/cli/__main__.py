"""`python -m finews_crawler.cli ...` is `finews ...` (how tests and the scheduler run it)."""

import sys

from finews_crawler.cli import main

sys.exit(main())
