"""Shared pytest set-up."""
import os

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
