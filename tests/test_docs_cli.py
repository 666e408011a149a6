"""docs/cli.md is generated from the argparse parser and must match it."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from plm.cli import build_parser

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _maker():
    spec = importlib.util.spec_from_file_location("_make_cli_md", DOCS / "_make_cli_md.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_cli_md_equals_generated():
    committed = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert committed == _maker().render(), "docs/cli.md is stale: run PYTHONPATH=. python docs/_make_cli_md.py"


def test_cli_md_lists_every_subcommand_and_option():
    # Independent of the generator's own loop: every option string argparse
    # knows must appear in the reference, under its subcommand's heading.
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    parser = build_parser()
    sub_action = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    assert set(sub_action.choices) >= {"score", "criteria", "batch", "study", "report"}
    sections = dict(re.findall(r"^## plm (\S+)\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S))
    for name, sub in sub_action.choices.items():
        assert name in sections, f"no section for plm {name}"
        for action in sub._actions:
            for opt in [o for o in action.option_strings if o not in ("-h", "--help")]:
                assert f"`{opt}" in sections[name] or f", {opt}" in sections[name], (name, opt)


def test_check_mode_detects_stale_file(tmp_path, monkeypatch):
    maker = _maker()
    stale = tmp_path / "cli.md"
    stale.write_text("# old\n", encoding="utf-8")
    monkeypatch.setattr(maker, "OUT", stale)
    assert maker.main(["--check"]) == 1
    assert maker.main([]) == 0          # rewrites it
    assert maker.main(["--check"]) == 0
    assert stale.read_text(encoding="utf-8") == maker.render()
