"""Access to ``sample_recordings/generate.py`` from the tests, with cached nights."""
from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_recordings"


@functools.lru_cache(maxsize=1)
def generator():
    """The generator module (sample_recordings is a folder, not a package)."""
    spec = importlib.util.spec_from_file_location("plm_sample_generate", SAMPLES / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@functools.lru_cache(maxsize=32)
def night(kind: str, hours: float = 1.5, seed: int = 7, impairments: tuple = (), severity: float = 1.0):
    """A generated (Recording, GroundTruth), cached across tests."""
    return generator().make_night(kind, hours, seed, impairments, None, severity)
