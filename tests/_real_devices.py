"""Location of the shared real device files (``../shared/data/real_devices``, see its README)."""
from __future__ import annotations

from pathlib import Path

from _reference_nights import shared_data, shared_file


def real_devices() -> Path | None:
    """The real-device folder, or None when this checkout has no shared data."""
    return shared_data("real_devices")


def real_file(*parts: str) -> Path:
    """Path of one real device file; skips the calling test when it is absent."""
    return shared_file("real_devices", *parts)


def all_real_files() -> list[str]:
    """Every file of the folder (relative paths), for parametrised tests; empty without the folder."""
    folder = real_devices()
    if folder is None:
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
