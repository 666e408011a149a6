"""Location of the shared real device files (``../shared/data/real_devices``, see its README)."""
from __future__ import annotations

from pathlib import Path

import pytest


def real_devices() -> Path | None:
    """The real-device folder, or None when this checkout has no shared data."""
    for base in (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared")):
        folder = base / "data" / "real_devices"
        if folder.is_dir():
            return folder
    return None


def real_file(*parts: str) -> Path:
    """Path of one real device file; skips the calling test when it is absent."""
    folder = real_devices()
    if folder is None or not folder.joinpath(*parts).is_file():
        pytest.skip("shared real device files not available")
    return folder.joinpath(*parts)


def all_real_files() -> list[str]:
    """Every file of the folder (relative paths), for parametrised tests; empty without the folder."""
    folder = real_devices()
    if folder is None:
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
