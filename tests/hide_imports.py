"""Make optional dependencies look absent for one test (readers' fallbacks and their error messages)."""
from __future__ import annotations

import builtins


def hide_modules(monkeypatch, *names: str) -> None:
    """Make ``import name`` (and of its submodules) raise ImportError until the test ends.

    Parameters
    ----------
    monkeypatch : pytest.MonkeyPatch
        The test's fixture; it restores the real import afterwards.
    *names : str
        Top-level module names, e.g. ``"pandas"``.
    """
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if any(name == n or name.startswith(n + ".") for n in names):
            raise ImportError(f"{name} hidden for this test")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
