"""``python -m fmpc.cli``: the ``fmpc`` command."""

import sys

from fmpc.cli.main import main

sys.exit(main())
