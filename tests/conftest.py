"""Shared pytest set-up."""
import os

from hypothesis import HealthCheck, settings

# CI runs must be reproducible: a derandomized profile replays the same
# examples every run. Locally, examples stay random so new bugs can surface.
settings.register_profile(
    "ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))
