"""Score the shared reference nights under wasm2016 and aasm; print a Markdown table.

Usage (from the repository root)::

    PYTHONPATH=$PWD python bench/score_reference_nights.py [--shared DIR] [--json OUT.json]

``DIR`` defaults to ``../shared`` beside the checkout, then ``/work/shared``.
The output is what ``docs/reference_nights.md`` shows.
"""
from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import plm

CRITERIA = ("wasm2016", "aasm")
COLUMNS = [
    ("n_lm_left", "LM L", "d"), ("n_lm_right", "LM R", "d"), ("n_lm", "LM", "d"), ("n_lm_bilateral", "bilat", "d"),
    ("n_clm", "CLM", "d"), ("n_clmr", "CLMr", "d"), ("n_plm", "PLM", "d"), ("n_plms", "PLMS", "d"),
    ("n_plmw", "PLMW", "d"), ("n_series", "series", "d"), ("denominator", "per", "s"),
    ("hours_denominator", "h", ".2f"), ("plm_index", "PLM/h", ".2f"), ("plms_index", "PLMS/h", ".2f"),
    ("plmw_index", "PLMW/h", ".2f"), ("plmnr_index", "PLMnr/h", ".2f"), ("periodicity_index", "PI", ".3f"),
    ("plm_arousal_index", "PLM-ar/h", ".2f"),
]


def nights(shared: Path) -> list[tuple[str, str, dict]]:
    """(name, file, read_events keyword arguments) of every reference night."""
    r = shared / "data" / "reference_nights"
    g16 = r / "G16605_V1N2"
    return [
        ("G21945_V1N1 (RemLogic export)", str(r / "G21945_V1N1" / "remlogic_events.txt"), {}),
        ("G21945_V1N1 (events.tsv)", str(r / "G21945_V1N1" / "events.tsv"), {}),
        ("G16605_V1N2 (MATPLM LMs + RemLogic staging)", str(g16 / "lm_events_matplm.txt"),
         {"hypnogram": str(g16 / "remlogic_hypnogram.txt"), "arousals": str(g16 / "remlogic_arousals.txt"),
          "respiratory": str(g16 / "remlogic_resp.txt")}),
        ("night_2013-07-26 (MATPLM LM list)", str(r / "night_2013-07-26" / "lm_events_matplm.txt"), {}),
        ("sev_tutorial (SCO + STA)", str(r / "sev_tutorial" / "SEV_Tutorial.SCO"), {}),
    ]


def _fmt(value, spec: str) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    return format(value, spec) if spec != "s" else str(value)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None, help="also write every summary to this JSON file")
    args = ap.parse_args(argv)
    shared = args.shared
    if shared is None:
        for cand in (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared")):
            if (cand / "data" / "reference_nights").is_dir():
                shared = cand
                break
    if shared is None:
        print("reference nights not found; give --shared DIR", file=sys.stderr)
        return 1
    rows, dumps = [], []
    for name, path, kwargs in nights(shared):
        lms = plm.read_events(path, **kwargs)
        for crit in CRITERIA:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                summary = plm.score(lms, crit).summary()
            summary["reader_metadata"] = {k: v for k, v in lms.metadata.items() if k != "files"}
            summary["warnings"] = [str(w.message) for w in caught]
            dumps.append({"night": name, "file": path, "options": kwargs, "summary": summary})
            rows.append([name, crit] + [_fmt(summary.get(k), spec) for k, _, spec in COLUMNS])
    header = ["night", "criteria"] + [title for _, title, _ in COLUMNS]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\nplm {plm.__version__}")
    if args.json:
        args.json.write_text(json.dumps(dumps, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
