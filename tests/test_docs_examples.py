"""The examples in docs/index.md and README.md run, and print what the docs say.

Each document is run top to bottom in a fresh folder that links the bundled
``sample_recordings/`` (so paths read as from the repository root), like a
user following it:

- ```` ```python ```` blocks with ``>>>`` prompts are doctests: their output
  must match the documented output; other python blocks are executed. All
  blocks of one document share one namespace.
- ```` ```bash ```` lines starting with ``plm`` run in-process through
  :func:`plm.cli.main` and must exit 0; ``pip``/``python`` lines (install,
  test) are left to CI (``.ci/run``); any other command fails the test.
- A block whose info string has ``file=NAME`` (e.g. ```` ```text
  file=remlogic_export.txt ````) is written to ``NAME`` first, so later
  examples can read it.
- A ```` ```text output ```` block is the printed output of the single
  ``plm`` command of the shell block just before it, and must equal it.
"""
from __future__ import annotations

import contextlib
import doctest
import io
import os
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```[ \t]*$", re.M | re.S)
SHELL = {"bash", "sh", "shell", "console"}
LEFT_TO_CI = ("pip ", "python ", "python3", ". ", "cd ")


def fenced_blocks(text: str) -> list[tuple[int, str, dict[str, str], str]]:
    """``(line number, language, attributes, body)`` of each fenced block."""
    out = []
    for m in FENCE.finditer(text):
        info = m.group(1).split()
        lang = info[0] if info else ""
        attrs: dict = dict(item.split("=", 1) for item in info[1:] if "=" in item)
        attrs["_flags"] = tuple(item for item in info[1:] if "=" not in item)
        out.append((text.count("\n", 0, m.start()) + 1, lang, attrs, m.group(2)))
    return out


def shell_commands(body: str) -> list[str]:
    """Lines of a shell block, continuation lines joined, ``$`` prompts dropped."""
    lines, cur = [], ""
    for raw in body.splitlines():
        line = raw.strip()
        if line.endswith("\\"):
            cur += line[:-1].rstrip() + " "
            continue
        line = (cur + line).strip()
        cur = ""
        if line.startswith("$ "):
            line = line[2:]
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def run_document(doc: Path) -> dict[str, int]:
    """Run every example of ``doc`` in the current folder; counts of what ran."""
    from plm.cli import main

    name = doc.name
    globs: dict = {"__name__": f"docs_{doc.stem}"}
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE | doctest.FAIL_FAST)
    ran = {"doctest": 0, "python": 0, "plm": 0, "files": 0, "outputs": 0}
    last_output = None  # stdout of the previous block when it was a single plm command
    for lineno, lang, info, body in fenced_blocks(doc.read_text(encoding="utf-8")):
        where = f"{name}:{lineno}"
        attrs = {k: v for k, v in info.items() if k != "_flags"}
        printed, last_output = last_output, None
        if "output" in info.get("_flags", ()):
            assert printed is not None, f"{where}: an output block must follow a block with one plm command"
            assert printed == body, f"{where}: the documented output differs from what plm prints:\n{printed}"
            ran["outputs"] += 1
        elif "file" in attrs:
            Path(attrs["file"]).write_text(body, encoding="utf-8")
            ran["files"] += 1
        elif lang == "python" and ">>>" in body:
            test = parser.get_doctest(body, globs, where, str(doc), lineno)
            result = runner.run(test, clear_globs=False)
            globs.update(test.globs)  # DocTest works on a copy of the namespace
            assert result.failed == 0, f"doctest failed in {where} (output above)"
            ran["doctest"] += result.attempted
        elif lang == "python":
            exec(compile(body, where, "exec"), globs)
            ran["python"] += 1
        elif lang in SHELL:
            commands = [c for c in shell_commands(body) if not c.startswith(LEFT_TO_CI)]
            for cmd in commands:
                argv = shlex.split(cmd, comments=True)
                assert argv[0] == "plm", f"{where}: the docs test cannot run {cmd!r}"
                out = io.StringIO()
                with contextlib.redirect_stdout(out):
                    rc = main(argv[1:])
                assert rc == 0, f"{where}: {cmd!r} failed"
                ran["plm"] += 1
                if len(commands) == 1:
                    last_output = out.getvalue()
    return ran


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    os.symlink(ROOT / "sample_recordings", tmp_path / "sample_recordings")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_fence_parsing():
    text = "a\n```text file=x.txt\nhello\n```\n```bash\nplm score a \\\n  --json  # c\n```\n"
    blocks = fenced_blocks(text)
    assert [(b[0], b[1], b[2]) for b in blocks] == [(2, "text", {"file": "x.txt", "_flags": ()}),
                                                    (5, "bash", {"_flags": ()})]
    assert shell_commands(blocks[1][3]) == ["plm score a --json  # c"]
    assert shlex.split(shell_commands(blocks[1][3])[0], comments=True) == ["plm", "score", "a", "--json"]


def test_index_examples_run(workdir):
    pytest.importorskip("matplotlib")
    pytest.importorskip("pandas")
    ran = run_document(ROOT / "docs" / "index.md")
    # Guard against a change of fence syntax silently running nothing.
    assert ran["doctest"] >= 30 and ran["plm"] >= 15 and ran["files"] == 2 and ran["outputs"] >= 2, ran
    # Files the guide says the commands wrote.
    for rel in ("results/pamrl_events.tsv", "results/pamrl_summary.json", "results/pamrl_summary.csv",
                "results/night_events.tsv", "batch_out/nightly_indices.csv", "batch_out/failures.csv",
                "study_out/subjects.csv", "study_out/nights.csv", "study_out/summary.json",
                "reports/psg_emg_report.html", "reports/psg_emg_report.png", "reports/study_report.html",
                "reports/hypnogram.png"):
        assert (workdir / rel).is_file(), rel


def test_readme_examples_run(workdir):
    ran = run_document(ROOT / "README.md")
    assert ran["doctest"] + ran["python"] >= 1 and ran["plm"] >= 2, ran


def test_index_links_every_doc():
    text = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\(([\w.-]+\.md)(?:#[\w-]*)?\)", text))
    pages = {p.name for p in (ROOT / "docs").glob("*.md")}
    assert pages - linked == set(), "docs pages missing from index.md's table"
    assert linked - pages == set(), "index.md links pages that do not exist"
    anchors = set(re.findall(r"\]\(#([\w-]+)\)", text))
    headings = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
                for h in re.findall(r"^#+ (.+)$", text, flags=re.M)}
    assert anchors - headings == set(), "index.md links to headings that do not exist"
