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


def matplm_agreement(path: str, criteria: str) -> dict:
    """How plm's CLMs/PLMs line up with the candidate-LM/periodic-LM rows MATPLM wrote in the same list.

    An LM of plm and a MATPLM row agree when their onsets differ by <= 0.01 s.
    """
    import datetime as dt

    import numpy as np

    lms = plm.read_events(path)
    t0 = dt.datetime.fromisoformat(lms.metadata["start_clock_time"])
    rows = [line.split("\t") for line in Path(path).read_text().splitlines()[1:] if line.strip()]
    lm_table = plm.score(lms, criteria).lms
    onset = np.asarray(lm_table["onset"])
    out = {}
    for typ, column in (("candidate-LM", "is_clm"), ("periodic-LM", "is_plm")):
        theirs = np.array([(dt.datetime.fromisoformat(r[0]) - t0).total_seconds() for r in rows if r[1] == typ])
        ours = onset[np.asarray(lm_table[column], dtype=bool)]
        close = np.abs(theirs[:, None] - ours[None, :]) <= 0.01
        out[typ] = {"matplm": int(theirs.size), "plm": int(ours.size), "both": int(close.any(axis=1).sum())}
    return out


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
    print(f"\nplm {plm.__version__}; criteria hashes: "
          + ", ".join(f"{c} {plm.criteria.get(c).hash}" for c in CRITERIA))
    matplm_list = [path for name, path, _ in nights(shared) if name.startswith("night_2013-07-26")][0]
    print("\nnight_2013-07-26: plm vs MATPLM's own rows (onsets within 0.01 s)\n")
    print("| criteria | MATPLM candidate-LM | plm CLM | in both | MATPLM periodic-LM | plm PLM | in both |")
    print("|---|---|---|---|---|---|---|")
    for crit in CRITERIA:
        a = matplm_agreement(matplm_list, crit)
        c, p = a["candidate-LM"], a["periodic-LM"]
        print(f"| {crit} | {c['matplm']} | {c['plm']} | {c['both']} | {p['matplm']} | {p['plm']} | {p['both']} |")
    if args.json:
        args.json.write_text(json.dumps(dumps, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
