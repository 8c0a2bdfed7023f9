"""``python -m cnnviz``: the command-line interface."""

import sys

from cnnviz.cli.main import main

sys.exit(main())
