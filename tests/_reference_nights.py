"""Location of the shared reference nights (``../shared/data/reference_nights``)."""
from __future__ import annotations

from pathlib import Path

import pytest


def reference_nights() -> Path | None:
    """The reference-nights folder, or None when this checkout has no shared data."""
    for base in (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared")):
        folder = base / "data" / "reference_nights"
        if folder.is_dir():
            return folder
    return None


def reference_file(*parts: str) -> Path:
    """Path of one reference file; skips the calling test when it is absent."""
    folder = reference_nights()
    if folder is None or not folder.joinpath(*parts).is_file():
        pytest.skip("shared reference nights not available")
    return folder.joinpath(*parts)
