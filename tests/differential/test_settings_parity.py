"""dolphindb.settings against the official module: every public constant, the same values."""
from __future__ import annotations

import inspect
import json

from dolphindb import settings


def _describe(value):
    """A JSON-able form of a settings value (runs in both clients)."""
    if isinstance(value, dict):
        return {"dict": sorted([repr(k), _describe(v)] for k, v in value.items())}
    if isinstance(value, type) and hasattr(value, "__members__"):
        return {"enum": sorted([n, m.value] for n, m in value.__members__.items())}
    if isinstance(value, (int, float, str, bool)) or value is None:
        return repr(value)
    return None


def test_settings_match_the_official_module(official):
    code = inspect.getsource(_describe) + """
import json, dolphindb.settings as s
print(json.dumps({n: _describe(getattr(s, n)) for n in dir(s) if not n.startswith('_')}))
"""
    expected = json.loads(official(code).strip().splitlines()[-1])
    ours = {n: _describe(getattr(settings, n)) for n in dir(settings) if not n.startswith("_")}
    missing = sorted(set(expected) - set(ours))
    assert not missing
    # The one deliberate difference: DEFAULT means PICKLE in this project.
    assert expected.pop("default_protocol") == "1"
    assert ours.pop("default_protocol") == "2" and settings.default_protocol == settings.PROTOCOL_PICKLE
    differing = {n: (ours[n], v) for n, v in expected.items() if ours[n] != v}
    assert not differing, differing
    assert len(expected) >= 100


def test_protocol_constants_come_from_the_core():
    from dolphindb import _core
    assert (settings.PROTOCOL_DEFAULT, settings.PROTOCOL_DDB, settings.PROTOCOL_PICKLE, settings.PROTOCOL_ARROW) == \
        (_core.PROTOCOL_DEFAULT, _core.PROTOCOL_DDB, _core.PROTOCOL_PICKLE, _core.PROTOCOL_ARROW) == (0, 1, 2, 3)


def test_parser_type_and_category():
    assert settings.ParserType.parse_from_str("python") is settings.ParserType.Python
    assert settings.ParserType.parse_from_str("kdb") is settings.ParserType.Kdb
    assert settings.ParserType.parse_from_str("Python") is settings.ParserType.DolphinDB
    assert settings.getCategory(settings.DT_INT) is settings.DATA_CATEGORY.INTEGRAL
    assert settings.getCategory(settings.DT_INT_ARRAY) is settings.DATA_CATEGORY.ARRAY
    assert settings.getCategory(settings.DT_HANDLE) is settings.DATA_CATEGORY.SYSTEM
    settings.set_verbose(True)
    assert settings.get_verbose() is True
    settings.set_verbose(False)
