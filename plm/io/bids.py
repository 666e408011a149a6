"""A night's outputs as a BIDS derivatives dataset (``plm score --out DIR --bids``).

Layout (BIDS 1.10, "Derivatives")::

    DIR/dataset_description.json      DatasetType "derivative", GeneratedBy plm <version>
    DIR/README  DIR/.bidsignore       (plm's own files, e.g. *_summary.json, are not BIDS files)
    DIR/sub-<label>/[ses-<label>/]<datatype>/sub-<label>[_ses-<label>]_task-<label>[_run-<n>]_events.tsv
                                     ... _events.json, _summary.json, and every --export format

Subject, session and the other entities come from the input's BIDS name
(``sub-01_ses-02_task-sleep_eeg.edf``) or are given (``subject=``,
``session=``, as a manifest would); ``task`` is ``sleep`` unless the name
says; the datatype is that of the input's BIDS folder or suffix, else
``eeg`` for EMG recordings, ``motion`` for accelerometry and ``beh`` for
event files. A recording that holds several nights gives ``run-<n>`` per
night. See ``docs/formats_export.md``.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Iterable

from .._util import json_text, write_file
from .._version import __version__
from ..errors import InputError
from .export import write_night_outputs
from .registry import FORMATS, split_extension

__all__ = ["BIDS_VERSION", "DATATYPES", "bids_entities", "check_bids_inputs", "night_entities", "write_bids_outputs",
           "dataset_description"]

#: Version of the BIDS specification the layout follows.
BIDS_VERSION = "1.10.0"
#: BIDS datatype folders an events file of a night may sit in.
DATATYPES = ("eeg", "ieeg", "meg", "emg", "motion", "nirs", "beh", "func")
#: Entities in the order BIDS writes them (those a sleep recording's name may carry).
ENTITY_ORDER = ("sub", "ses", "task", "acq", "ce", "rec", "dir", "run", "recording", "tracksys", "space", "split")
_LABEL = re.compile(r"^[A-Za-z0-9]+$")


def bids_entities(path: str | os.PathLike) -> tuple[dict[str, str], str | None]:
    """Entities and datatype of a BIDS file name.

    Parameters
    ----------
    path : path-like
        E.g. ``.../sub-01/ses-02/eeg/sub-01_ses-02_task-sleep_eeg.edf``.

    Returns
    -------
    (dict, str or None)
        Entity key to label (``{"sub": "01", "ses": "02", "task": "sleep"}``;
        empty when the name has no ``sub-`` entity) and the datatype (the
        parent folder when it is one of :data:`DATATYPES`, else the suffix
        when it is, else None).
    """
    p = Path(path)
    stem = split_extension(p.name)[0]
    parts = stem.split("_")
    entities: dict[str, str] = {}
    suffix = None
    for i, part in enumerate(parts):
        key, dash, label = part.partition("-")
        if dash and key and label and _LABEL.match(key) and _LABEL.match(label):
            entities[key] = label
        elif i == len(parts) - 1:
            suffix = part
        else:
            return {}, None  # not a BIDS name
    if "sub" not in entities:
        return {}, None
    datatype = p.parent.name if p.parent.name in DATATYPES else suffix if suffix in DATATYPES else None
    return entities, datatype


def _label(what: str, value: str, source: Any) -> str:
    value = str(value).strip()
    if value.startswith(f"{what}-"):
        value = value[len(what) + 1:]
    if not _LABEL.match(value):
        raise InputError(source, f"{what} label {value!r} is not a BIDS label (letters and digits only)")
    return value


def check_bids_inputs(paths: Iterable[str | os.PathLike], subject: str | None = None,
                      session: str | None = None) -> None:
    """Refuse, before any scoring, a BIDS layout whose subject cannot be known.

    Parameters
    ----------
    paths : iterable of path-like
        The inputs of one call.
    subject, session : str, optional
        Labels given (checked as BIDS labels).

    Raises
    ------
    InputError
        No subject given and no input has a BIDS name; a label that is not
        alphanumeric.
    """
    paths = [os.fspath(p) for p in paths]
    if subject is not None:
        _label("sub", subject, "--subject")
    if session is not None:
        _label("ses", session, "--session")
    if subject is None and not any(bids_entities(p)[0] for p in paths):
        raise InputError(paths[0] if paths else None, _NO_SUBJECT)


_NO_SUBJECT = ("the subject is not known for a BIDS layout: name the input sub-<label>[_ses-<label>]_..., "
               "or give the subject (--subject)")


def night_entities(result, subject: str | None = None, session: str | None = None) -> tuple[dict[str, str], str]:
    """The BIDS entities and datatype of a scored night's outputs.

    Parameters
    ----------
    result : NightResult
    subject, session : str, optional
        Labels to use (``"01"`` or ``"sub-01"``); default: from the input's
        BIDS name. A given label overrides the name's.

    Returns
    -------
    (dict, str)
        Entities in BIDS order (``sub``, ``ses``, ``task``, ..., ``run`` per
        night of a multi-night recording) and the datatype folder.

    Raises
    ------
    InputError
        When the subject is not known, the files of one night disagree on
        their entities, or a label is not alphanumeric.
    """
    source = str(result.source or "")
    paths = [s.strip() for s in source.split(";") if s.strip()]
    named = [bids_entities(p) for p in paths]
    found = [e for e, _ in named if e]
    entities: dict[str, str] = {}
    if found:
        # files of one night (left/right) share every entity but a leg token
        common = {k: v for k, v in found[0].items() if all(e.get(k) == v for e in found[1:])}
        for key in ("sub", "ses"):
            if len({e.get(key) for e in found}) > 1:
                raise InputError(source, f"the files of this night name different {key}- labels")
        entities.update(common)
    if subject is not None:
        entities["sub"] = _label("sub", subject, source)
    if session is not None:
        entities["ses"] = _label("ses", session, source)
    if "sub" not in entities:
        raise InputError(source or None, _NO_SUBJECT)
    entities.setdefault("task", "sleep")
    if (result.context.n_nights or 1) > 1:
        entities["run"] = str((result.context.night_index or 0) + 1)
    ordered = {k: entities[k] for k in ENTITY_ORDER if k in entities}
    ordered.update({k: v for k, v in entities.items() if k not in ordered})
    datatype = next((d for _, d in named if d), None)
    if datatype is None:
        rec = getattr(result, "recording", None)
        datatype = "beh" if rec is None else ("eeg" if rec.modality == "emg" else "motion")
    return ordered, datatype


def dataset_description() -> dict[str, Any]:
    """``dataset_description.json`` of plm's derivatives dataset (BIDS 1.10).

    Returns
    -------
    dict
    """
    return {
        "Name": "plm leg-movement scoring",
        "BIDSVersion": BIDS_VERSION,
        "DatasetType": "derivative",
        "GeneratedBy": [{"Name": "plm", "Version": __version__,
                         "Description": "Periodic leg movement scoring; criteria name and hash in every "
                                        "*_events.json and *_summary.json"}],
    }


_README = """plm leg-movement scoring (BIDS derivatives)

Per night: *_events.tsv (one row per monolateral leg movement, plus sleep stages and
scored events) with its *_events.json sidecar describing every column, start time,
recording length, criteria and plm version; *_summary.json holds the nightly indices
(plm's own format, listed in .bidsignore). See plm's docs/formats.md.
"""


def _dataset_files(root: Path) -> None:
    """dataset_description.json, README (when missing) and the plm patterns of .bidsignore."""
    write_file(root / "dataset_description.json", json_text(dataset_description()))
    if not (root / "README").exists():
        write_file(root / "README", _README)
    ignore = root / ".bidsignore"
    have = ignore.read_text(encoding="utf-8").splitlines() if ignore.exists() else []
    # every plm output but the BIDS events files
    want = [f"*{f.output_suffix}" for f in FORMATS if f.output_suffix and f.export != "tsv"]
    missing = [p for p in want if p not in have]
    if missing or not ignore.exists():
        write_file(ignore, "\n".join([*have, *missing]) + "\n")


def write_bids_outputs(result, root: str | os.PathLike, extra_formats: Iterable[str] = (), *,
                       subject: str | None = None, session: str | None = None) -> list:
    """Write a night's outputs into a BIDS derivatives dataset rooted at ``root``.

    Parameters
    ----------
    result : NightResult
    root : path-like
        The derivatives dataset (created when missing); its
        ``dataset_description.json`` is (re)written.
    extra_formats : iterable of str
        More formats, as for :func:`plm.io.export.write_night_outputs`.
    subject, session : str, optional
        See :func:`night_entities`.

    Returns
    -------
    list of pathlib.Path
        The night's files, in order (``_events.tsv``, ``_events.json``,
        ``_summary.json``, extra formats).
    """
    entities, datatype = night_entities(result, subject, session)
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise InputError(root, "is a file; expected an output folder")
    folder = root / f"sub-{entities['sub']}"
    if "ses" in entities:
        folder = folder / f"ses-{entities['ses']}"
    stem = "_".join(f"{k}-{v}" for k, v in entities.items())
    written = write_night_outputs(result, folder / datatype, extra_formats, stem=stem)
    _dataset_files(root)
    return written
