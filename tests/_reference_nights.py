"""Location of the shared reference nights (``../shared/data/reference_nights``)."""
from __future__ import annotations

from pathlib import Path

import pytest


def shared_data(name: str) -> Path | None:
    """``../shared/data/<name>``, or None when this checkout has no shared data."""
    for base in (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared")):
        folder = base / "data" / name
        if folder.is_dir():
            return folder
    return None


def reference_nights() -> Path | None:
    """The reference-nights folder, or None when this checkout has no shared data."""
    return shared_data("reference_nights")


def shared_file(name: str, *parts: str) -> Path:
    """Path of one file under ``../shared/data/<name>``; skips the calling test when it is absent."""
    folder = shared_data(name)
    if folder is None or not folder.joinpath(*parts).is_file():
        pytest.skip(f"shared {name.replace('_', ' ')} not available")
    return folder.joinpath(*parts)


def reference_file(*parts: str) -> Path:
    """Path of one reference file; skips the calling test when it is absent."""
    return shared_file("reference_nights", *parts)
