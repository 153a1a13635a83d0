"""Shared fixtures of the deployment tests: a small program, its backend configs and a built
artifact (module-scoped: building exports and compiles)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

PROGRAM = '''
def execute_command(image) -> str:
    """Is there a 7?"""
    if ImagePatch(image).exists("7"):
        return "yes"
    return "no"
'''

CONFIG = """
version: 1
functions:
  exists:
    - name: small
      type: jax
      target: tests.deploy.models:tiny_backend
      io: tests.deploy.models:tiny_io
      options: {width: 2, seed: 1}
    - name: large
      type: jax
      target: tests.deploy.models:tiny_backend
      io: tests.deploy.models:tiny_io
      options: {width: 8, seed: 2}
"""

FALLBACK_CONFIG = """
version: 1
functions:
  exists:
    - name: flaky
      type: callable
      target: tests.deploy.models:broken
      cost: 1
      fallback: large
    - name: large
      type: jax
      target: tests.deploy.models:tiny_backend
      io: tests.deploy.models:tiny_io
      options: {width: 8, seed: 2}
"""


def images(n: int, seed: int = 0) -> list[np.ndarray]:
    """``n`` random 16x16 uint8 images."""
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (16, 16, 3), dtype=np.uint8) for _ in range(n)]


def write_program_files(root: Path) -> dict[str, Path]:
    """The program and its configs, written in ``root``."""
    files = {
        "program": root / "seven.py",
        "config": root / "backends.yaml",
        "fallback": root / "fallback.yaml",
    }
    files["program"].write_text(PROGRAM)
    files["config"].write_text(CONFIG)
    files["fallback"].write_text(FALLBACK_CONFIG)
    return files


@pytest.fixture(scope="session")
def program_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The program and its configs on disk."""
    return write_program_files(tmp_path_factory.mktemp("deploy"))


@pytest.fixture(scope="session")
def built(program_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An artifact of the program with a neural-ts policy (k=4), built once."""
    from fmpc.deploy.build import compile_parts, write_artifact

    parts = compile_parts(
        program_files["program"],
        backends=program_files["config"],
        policy="neural-ts:k=4",
        image_shape=(16, 16),
    )
    try:
        return write_artifact(parts, tmp_path_factory.mktemp("built") / "seven.fmpa")
    finally:
        parts.table.close()


@pytest.fixture
def artifact(built: Path, tmp_path: Path) -> Path:
    """A fresh copy of the built artifact (tests may change it)."""
    copy = tmp_path / "seven.fmpa"
    shutil.copytree(built, copy)
    return copy
