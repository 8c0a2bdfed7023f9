"""``python -m cnnviz``: the command-line interface."""

import sys

from cnnviz.cli import main

sys.exit(main())
