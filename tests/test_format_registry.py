"""The format registry: every table is derived from it, every function it names exists, file names split one way."""
from __future__ import annotations

import pytest

from plm.criteria import get as get_criteria
from plm.errors import InputError
from plm.io import EVENT_FORMATS, RAW_FORMATS, registry
from plm.io.export import EXPORT_FORMATS, output_stem
from plm.model import NightResult
from plm.workflows.batch import group_files


def test_every_named_function_exists():
    for f in registry.FORMATS:
        for spec in (f.sniff, f.reader, f.recording_writer, f.result_writer):
            if spec is not None:
                assert callable(registry.load(spec)), (f.name, spec)
        assert (f.kind is None) == (f.reader is None) and (f.reader is None) == (f.sniff is None), f.name
        assert (f.export is None) == (f.result_writer is None) == (f.output_suffix is None), f.name


def test_reader_and_export_tables_derive_from_the_registry():
    assert list(RAW_FORMATS) == ["accel-csv", "actigraph-csv", "edf", "hdf5", "binary-accel"]
    assert list(EVENT_FORMATS) == ["events-tsv", "remlogic", "lm-list", "stanford-sco", "nsrr-xml", "edf-annotations"]
    assert EXPORT_FORMATS == {
        "edf": ("_scored.edf", (".edf",)), "h5": ("_result.h5", (".h5", ".hdf5")),
        "tsv": ("_events.tsv", (".tsv",)), "xml": ("_nsrr.xml", (".xml",)),
        "edf-annotations": ("_annotations.edf", ()), "json": ("_summary.json", (".json",)),
        "csv": ("_summary.csv", (".csv",)),
    }
    assert [registry.export_format_of(n) for n in ("a.tsv", "A.EDF", "x.hdf5", "s.json", "m.csv", "n.xml")] == \
        ["tsv", "edf", "h5", "json", "csv", "xml"]
    assert registry.export_format_of("a.txt") is None and registry.export_format_of("a.csv.gz") is None
    assert [registry.recording_format_of(n).name for n in ("r.h5", "r.edf", "r.csv", "r.csv.gz")] == \
        ["hdf5", "edf", "accel-csv", "accel-csv"]
    assert registry.recording_format_of("r.bdf") is None and registry.recording_format_of("r.txt") is None


@pytest.mark.parametrize("name, stem, ext", [
    ("P01_night1.csv.gz", "P01_night1", ".csv.gz"),
    ("P01_night1.csv.zst", "P01_night1", ".csv.zst"),
    ("night.2.EDF", "night.2", ".edf"),
    ("README", "README", ""),
])
def test_one_extension_rule_for_batch_ids_and_output_names(tmp_path, name, stem, ext):
    assert registry.split_extension(name) == (stem, ext)
    result = NightResult({}, {}, {}, get_criteria("wasm2016"), source=str(tmp_path / name))
    assert output_stem(result) == stem
    (group,) = group_files([tmp_path / name], tmp_path)
    assert group.id == stem


def test_compressed_ankle_files_group_like_their_output_name(tmp_path):
    # batch ids and output names used to disagree on .csv.zst ("P01" vs "P01.csv.zst" stems)
    files = [tmp_path / "P01_left.csv.zst", tmp_path / "P01_right.csv.zst"]
    (group,) = group_files(files, tmp_path)
    assert group.id == "P01"
    result = NightResult({}, {}, {}, get_criteria("wasm2016"),
                         source="; ".join(map(str, files)))
    assert output_stem(result) == "P01"


def test_unknown_format_names_the_choices():
    with pytest.raises(InputError, match=r"unknown format 'edf\+'; choose one of \['accel-csv'"):
        registry.get("edf+")
    with pytest.raises(InputError, match=r"unknown export format 'PDF'; choose one of \['csv'"):
        registry.export_name("PDF")


def test_lm_list_is_refused_as_a_separate_export(tmp_path):
    from plm.io.lm_list import read_lm_list

    lms = tmp_path / "lms.txt"
    lms.write_text("Start\tType\tDuration\n2020-01-01T23:00:00\tleft-LM\t1\n2020-01-01T23:00:30\tright-LM\t1\n")
    other = tmp_path / "arousals.txt"
    other.write_text("Start\tType\tDuration\n2020-01-01T23:10:00\tleft-LM\t1\n")
    # it holds no arousal row: taken as an arousal export it would say "arousals scored, none found"
    with pytest.raises(InputError, match="arousals.txt: not a RemLogic event export"):
        read_lm_list(lms, arousals=other)
    assert read_lm_list(lms).arousals is None
