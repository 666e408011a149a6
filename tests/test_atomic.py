"""Atomic output: complete file or nothing, clear error for a bad folder."""
import errno
import os
import stat
import tempfile

import pytest

from plm.errors import InputError
from plm.atomic import atomic_path, atomic_write


def _listing(folder):
    return sorted(p.name for p in folder.iterdir())


def test_text_write_appears_complete_with_normal_permissions(tmp_path):
    target = tmp_path / "night_summary.json"
    with atomic_write(target) as fh:
        fh.write('{"a": 1}\n')
        # Not there yet while writing: only the hidden temporary file exists.
        assert not target.exists()
        assert len(_listing(tmp_path)) == 1 and _listing(tmp_path)[0].startswith(".night_summary.")
    assert target.read_text() == '{"a": 1}\n'
    assert _listing(tmp_path) == ["night_summary.json"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_binary_write_replaces_existing_file(tmp_path):
    target = tmp_path / "x.bin"
    target.write_bytes(b"old")
    with atomic_write(target, "wb") as fh:
        fh.write(b"\x00\x01new")
    assert target.read_bytes() == b"\x00\x01new"


def test_failing_writer_leaves_no_partial_file_and_keeps_old(tmp_path):
    fresh = tmp_path / "fresh.tsv"
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_write(fresh) as fh:
            fh.write("onset\tduration\n1.0\t")
            raise RuntimeError("boom")
    assert _listing(tmp_path) == []

    old = tmp_path / "old.tsv"
    old.write_text("complete old content\n")
    with pytest.raises(RuntimeError):
        with atomic_write(old) as fh:
            fh.write("half of the new")
            raise RuntimeError("boom")
    assert old.read_text() == "complete old content\n"
    assert _listing(tmp_path) == ["old.tsv"]


def test_atomic_path_for_library_writers(tmp_path):
    target = tmp_path / "night.edf"
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".edf" and tmp != target
        tmp.write_bytes(b"data")
    assert target.read_bytes() == b"data"
    assert _listing(tmp_path) == ["night.edf"]

    with pytest.raises(ValueError):
        with atomic_path(tmp_path / "bad.h5") as tmp:
            tmp.write_bytes(b"partial")
            raise ValueError("writer failed")
    assert _listing(tmp_path) == ["night.edf"]


def test_missing_folder_and_folder_as_target(tmp_path):
    with pytest.raises(InputError, match="does not exist") as ei:
        with atomic_write(tmp_path / "nope" / "a.json") as fh:
            fh.write("x")
    assert str(tmp_path / "nope") in str(ei.value)
    with pytest.raises(InputError, match="is a folder"):
        with atomic_write(tmp_path) as fh:
            fh.write("x")


def test_unwritable_folder_real_permissions(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running with privileges that ignore folder permissions (e.g. root)")
        with pytest.raises(InputError, match="not writable") as ei:
            with atomic_write(folder / "a.json") as fh:
                fh.write("x")
        assert str(folder) in str(ei.value)
    finally:
        folder.chmod(0o755)


def test_unwritable_folder_reported_by_name(tmp_path, monkeypatch):
    # Root ignores permission bits, so simulate what the OS says for a
    # read-only folder: mkstemp fails with EACCES.
    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    for ctx in (atomic_write(tmp_path / "a.json"), atomic_path(tmp_path / "a.h5")):
        with pytest.raises(InputError, match="not writable") as ei:
            with ctx:
                pass
        assert ei.value.source == str(tmp_path)
    assert _listing(tmp_path) == []
