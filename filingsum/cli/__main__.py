"""`python -m filingsum.cli ...` (what `accelerate launch -m filingsum.cli train` runs)."""

import sys

from filingsum.cli import main

sys.exit(main())
