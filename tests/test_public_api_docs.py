"""The public entry points have numpydoc Parameters/Returns sections and type hints.

The list is explicit (the functions a user is pointed to by README and
docs/index.md), so a new private helper elsewhere does not trip it.
"""
from __future__ import annotations

import importlib
import inspect

import pytest

ENTRY_POINTS = [
    "plm:read", "plm:read_events", "plm:score", "plm:study", "plm:compare", "plm:calibrate",
    "plm.scoring.agreement:compare_nights", "plm.scoring.agreement:Agreement.summary",
    "plm.scoring.method_comparison:bland_altman", "plm.scoring.method_comparison:icc_agreement",
    "plm.workflows.compare:compare_cohort", "plm.detect.cached:CachedDetection.detect",
    "plm.io:detect_format", "plm.detect:detect", "plm.scoring:score_events",
    "plm.nights:split_nights", "plm.nights:read_lights_table", "plm.nights:rest_periods",
    "plm.workflows.batch:run_batch", "plm.workflows.batch:read_batch_manifest",
    "plm.workflows.study:read_study_manifest", "plm.workflows.study:paired_change",
    "plm.workflows.study:classify_response",
    "plm.criteria:get", "plm.criteria:names", "plm.criteria:parse_overrides",
    "plm.model.result:NightResult.summary", "plm.model.result:NightResult.save", "plm.model.result:NightResult.to_annotations",
    "plm.model.result:NightResult.plot_raster", "plm.model.result:NightResult.plot_imi_histogram",
    "plm.model.result:NightResult.plot_hypnogram",
    "plm.criteria:Criteria.replace", "plm.criteria:Criteria.from_json", "plm.criteria:Criteria.describe",
    "plm.model.recording:Recording.crop", "plm.model.events:event_frame",
]


def _resolve(spec: str):
    module_name, _, attr = spec.partition(":")
    obj = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize("spec", ENTRY_POINTS)
def test_entry_point_is_documented_and_hinted(spec):
    func = _resolve(spec)
    doc = inspect.getdoc(func) or ""
    sig = inspect.signature(func)
    params = [p for p in sig.parameters.values() if p.name not in ("self", "cls")]
    if params:
        assert "Parameters\n----------" in doc, f"{spec}: no numpydoc Parameters section"
    assert sig.return_annotation is not inspect.Signature.empty, f"{spec}: no return type hint"
    if sig.return_annotation not in (None, "None"):
        assert "Returns\n-------" in doc, f"{spec}: no numpydoc Returns section"
    unhinted = [p.name for p in params if p.annotation is inspect.Parameter.empty
                and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    assert not unhinted, f"{spec}: parameters without type hints: {unhinted}"
