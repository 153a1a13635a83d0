"""Test-session settings: commands run by the tests (in this process or as subprocesses) keep
no persistent compilation cache in the home directory."""

import os

os.environ.setdefault("FMPC_COMPILE_CACHE", "off")
