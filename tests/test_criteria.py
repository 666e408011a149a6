import json

import pytest

import plm
from plm import criteria
from plm.errors import CriteriaError


def test_presets_exist_and_differ():
    names = criteria.names()
    for name in ("wasm2016", "wasm2006", "aasm", "aasm2007", "pamrl"):
        assert name in names
    assert criteria.get("wasm2016").imi_min == 10.0
    assert criteria.get("aasm").imi_min == 5.0
    assert criteria.get("aasm").bilateral_rule == "onset_difference"
    assert criteria.get("wasm2016").hash != criteria.get("aasm").hash


def test_json_round_trip_keeps_every_field_and_hash():
    for name in criteria.names():
        c = criteria.get(name)
        back = plm.Criteria.from_json(c.to_json())
        assert back == c
        assert back.hash == c.hash


def test_hash_is_stable_and_ignores_name():
    c = criteria.get("wasm2016")
    # canonical JSON of the parameters: the hash must not change between runs
    assert c.hash == criteria.get("wasm2016").hash
    assert c.replace(name="mine").hash == c.hash
    assert c.replace(imi_min=9.0).hash != c.hash
    assert len(c.hash) == 12 and int(c.hash, 16) >= 0


def test_replace_and_overrides_coerce_strings():
    c = criteria.get("wasm2016")
    changed = c.replace(**criteria.parse_overrides(["imi_min=5", "long_lm_inheritance=false",
                                                   "respiratory_window=0.5,0.5"]))
    assert changed.imi_min == 5.0
    assert changed.long_lm_inheritance is False
    assert changed.respiratory_window == (0.5, 0.5)
    assert c.imi_min == 10.0  # original untouched (frozen)


@pytest.mark.parametrize("bad", [
    lambda: criteria.get("wasm2099"),
    lambda: criteria.get("wasm2016").replace(no_such_field=1),
    lambda: criteria.get("wasm2016").replace(imi_min=-1),
    lambda: criteria.get("wasm2016").replace(imi_min=100),
    lambda: criteria.get("wasm2016").replace(short_imi="sometimes"),
    lambda: criteria.parse_overrides(["imi_min"]),
    lambda: criteria.parse_overrides(["imi_min=abc"]) and criteria.get().replace(**criteria.parse_overrides(["imi_min=abc"])),
    lambda: plm.Criteria.from_json("{not json"),
    lambda: plm.Criteria.from_json(json.dumps({"bogus": 1})),
])
def test_bad_criteria_raise_criteria_error(bad):
    with pytest.raises(CriteriaError):
        bad()


def test_describe_has_name_hash_params():
    d = criteria.get("pamrl").describe()
    assert d["name"] == "pamrl"
    assert d["hash"] == criteria.get("pamrl").hash
    assert d["params"]["accel_onset_g"] == 0.022
