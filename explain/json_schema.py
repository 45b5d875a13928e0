"""The JSON Schema of JSON reports, generated from the report context's dataclasses.

The published copy is ``explain/schema/report.schema.json`` (package data); a test
checks it equals :func:`report_schema`, so the two never drift. Regenerate it with
``python -m explain.json_schema > explain/schema/report.schema.json``.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from importlib import resources
from typing import Any

from .context import REPORT_FORMAT, ReportContext

SCHEMA_ID = "https://cramp-expert.invalid/schema/report-1.schema.json"


def report_schema() -> dict[str, Any]:
    """A draft 2020-12 JSON Schema for ``cramp report --format json`` output."""
    defs: dict[str, Any] = {}
    root = _object_schema(ReportContext, defs)
    root["properties"]["report_format"] = {
        "const": REPORT_FORMAT,
        "description": root["properties"]["report_format"]["description"],
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "cramp-expert report",
        "description": (ReportContext.__doc__ or "").strip(),
        **root,
        "$defs": dict(sorted(defs.items())),
    }


def published_schema() -> dict[str, Any]:
    """The schema shipped with the package."""
    text = (resources.files("explain") / "schema" / "report.schema.json").read_text("utf-8")
    return json.loads(text)


def _object_schema(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    properties = {}
    for f in dataclasses.fields(cls):
        schema = _type_schema(hints[f.name], defs)
        properties[f.name] = {**schema, "description": f.metadata["help"]}
    return {
        "type": "object",
        "properties": properties,
        "required": [f.name for f in dataclasses.fields(cls)],
        "additionalProperties": False,
    }


def _type_schema(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [_type_schema(a, defs) for a in typing.get_args(tp)]}
    if origin is tuple:
        return {"type": "array", "items": _type_schema(typing.get_args(tp)[0], defs)}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}  # placeholder first: a class may refer to itself
            defs[name] = {"description": (tp.__doc__ or "").strip(), **_object_schema(tp, defs)}
        return {"$ref": f"#/$defs/{name}"}
    simple = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}
    if tp in simple:
        return {"type": simple[tp]}
    raise TypeError(f"no JSON Schema for {tp!r}")


if __name__ == "__main__":
    print(json.dumps(report_schema(), indent=2, ensure_ascii=False))
