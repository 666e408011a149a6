"""Shared pytest set-up."""
import os
import subprocess

import pytest

from hypothesis import HealthCheck, settings

# The test suite is reproducible by default (CI and a user's `pytest` alike):
# the derandomized profile replays the same examples every run. For an
# exploratory hunt with fresh random examples, run with HYPOTHESIS_PROFILE=dev
# (and PLM_FUZZ_EXAMPLES=N for the reader fuzzers).
settings.register_profile(
    "ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture()
def mount_tmpfs(tmp_path):
    """``mount_tmpfs("2m")``: a tmpfs of that size in ``tmp_path`` (a disk that fills up), unmounted afterwards.

    Mounting needs root; elsewhere the test is skipped.
    """
    mounted = []

    def mount(size: str):
        if not hasattr(os, "geteuid") or os.geteuid() != 0:
            pytest.skip("mounting a tmpfs needs root")
        mnt = tmp_path / f"disk{len(mounted)}"
        mnt.mkdir()
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)], capture_output=True)
        if r.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({r.stderr.decode().strip()})")
        mounted.append(mnt)
        return mnt

    yield mount
    for mnt in mounted:
        subprocess.run(["umount", str(mnt)], check=False)
