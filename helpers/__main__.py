"""`python -m helpers` (what `make data` runs): fetch MNIST into the data cache and verify it."""

import sys

from helpers.data import main

sys.exit(main())
