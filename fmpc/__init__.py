"""fmpc: a compiler and runtime for foundation model programs."""

__version__ = "0.1.0"
