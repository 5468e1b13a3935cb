"""Contract checks: validate recorded Discord REST requests against Discord's OpenAPI spec.

The local Discord sandbox records every REST request the bot makes as a `RecordedRequest`.
`ContractValidator` matches each one to an operation of Discord's official OpenAPI 3.1 spec
(vendored beside this module in ``discord-openapi/``, see `spec_path`) and checks its path
parameters, query parameters and body; `validate_response` checks what the sandbox answered
against the operation's response schema for that status.

Decisions worth knowing:

* **Bodies.** ``application/json`` bodies are validated against the operation's
  ``application/json`` schema. For ``multipart/form-data`` the sandbox hands us the parsed
  ``payload_json`` part; the spec models multipart bodies as ``allOf[<json schema>,
  {files[0..9]: binary}]`` with no ``payload_json`` property, so ``payload_json`` is validated
  against the ``application/json`` schema (if a multipart schema ever declares a
  ``payload_json`` property, that property's schema is used instead). File parts are not
  checked. Operations without a ``requestBody`` must not carry a body.
* **Query parameters** arrive as strings and are coerced by the declared type before being
  validated against the parameter schema: integers must be decimal, booleans accept
  ``true``/``false``/``1``/``0`` (any case, as Discord does — discord.py sends
  ``with_response=1`` and ``wait=0``). Unknown parameters and missing required ones are
  problems.
* **Formats** (``snowflake``, ``int32``, ``int64``, ``nonce``, ``date-time``, ``uri``) are
  annotations only; no format checker is registered. Snowflakes are still constrained by
  ``SnowflakeType``'s ``pattern`` (a decimal string).
* **Integer snowflakes.** The spec's ``SnowflakeType`` is string-only, but Discord accepts JSON
  integers as well, and discord.py sends them (``recipient_id``, ``allowed_mentions.users``,
  ``message_reference.message_id``, the ``attachments[].id`` file index, ...). By default a
  non-negative integer below 2**64 is also accepted wherever the spec says ``SnowflakeType``;
  pass ``strict_snowflakes=True`` to hold requests to the letter of the spec.
* **Undeclared fields.** No request schema in the spec sets ``additionalProperties: false``,
  so unknown/misspelt fields pass by default (as they do on Discord). Pass
  ``reject_undeclared=True`` to report every property the spec does not declare.
* OpenAPI 3.1 is JSON Schema 2020-12: nullability is expressed with type arrays /
  ``oneOf: [{type: null}, ...]``; there is no ``nullable`` keyword to translate.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, quote

# jsonschema ships no type information (types-jsonschema is not a project dependency).
from jsonschema import Draft202012Validator  # type: ignore[import-untyped,unused-ignore]
from jsonschema.exceptions import (  # type: ignore[import-untyped,unused-ignore]
    ValidationError,
    relevance,
)
from referencing import Registry
from referencing.jsonschema import DRAFT202012

__all__ = ["ContractValidator", "RecordedRequest", "spec_path"]

SPEC_URI: Final = "https://discord.com/developers/openapi.json"
HTTP_METHODS: Final = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})
_API_PREFIX: Final = re.compile(r"^/api(?:/v\d+)?(?=/|$)")
_UNION_KEYWORDS: Final = frozenset({"oneOf", "anyOf"})
_DISCRIMINATOR_KEYWORDS: Final = frozenset({"enum", "const"})
_MAX_MESSAGE: Final = 300
_TRUE: Final = frozenset({"true", "1"})
_FALSE: Final = frozenset({"false", "0"})
_INTEGER: Final = re.compile(r"^-?\d+$")
_IDENTIFIER: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INT_SNOWFLAKE: Final[dict[str, Any]] = {"type": "integer", "minimum": 0, "maximum": 2**64 - 1}


def spec_path() -> Path:
    """Discord's OpenAPI spec, vendored (MIT) with its licence and source commit."""
    return Path(__file__).resolve().parent / "discord-openapi" / "openapi.json"


@dataclass(frozen=True)
class RecordedRequest:
    """One REST request as recorded by the sandbox."""

    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    content_type: str | None = None
    json: Any | None = None


@dataclass(frozen=True)
class _Template:
    path: str
    segments: tuple[str | None, ...]  # None marks a {parameter} segment
    params: tuple[str, ...]


@dataclass(frozen=True)
class _Param:
    name: str
    location: str
    required: bool
    schema: Any
    validator: Draft202012Validator


@dataclass(frozen=True)
class _Operation:
    method: str
    template: str
    params: Mapping[tuple[str, str], _Param]
    has_body: bool
    body_required: bool
    media_types: frozenset[str]


def _pointer(*parts: str) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def _segment_is_param(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def _split_path(path: str) -> list[str]:
    stripped = path.strip("/")
    return stripped.split("/") if stripped else []


def _location(path: Iterable[str | int], root: str) -> str:
    out = root
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.match(part):
            out += f".{part}"
        else:
            out += f"[{part!r}]"
    return out


def _truncate(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def _describe_errors(errors: Iterable[ValidationError], root: str) -> list[str]:
    out: list[str] = []
    for error in errors:
        for where, message in _explain(error):
            line = f"{_location(where, root)}: {_truncate(message)}"
            if line not in out:
                out.append(line)
    return out


def _explain(error: ValidationError) -> list[tuple[Sequence[str | int], str]]:
    """Turn one validation error into readable (instance path, message) pairs.

    ``oneOf``/``anyOf`` failures are explained through the branch the instance was evidently
    aiming for: branches whose discriminator (an ``enum``/``const`` on a direct property such
    as ``type``) does not match are dropped, then branches of the wrong JSON type.
    """
    if error.validator not in _UNION_KEYWORDS or not error.context:
        return [(list(error.absolute_path), error.message)]

    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        key = sub.relative_schema_path[0] if sub.relative_schema_path else None
        branches.setdefault(key, []).append(sub)

    def discriminator_mismatches(errs: list[ValidationError]) -> list[ValidationError]:
        return [
            e for e in errs if e.validator in _DISCRIMINATOR_KEYWORDS and len(e.relative_path) == 1
        ]

    def value_mismatches(errs: list[ValidationError]) -> list[ValidationError]:
        return [e for e in errs if e.validator in _DISCRIMINATOR_KEYWORDS and not e.relative_path]

    aimed = {k: v for k, v in branches.items() if not discriminator_mismatches(v)}
    if not aimed:
        mismatches = [e for errs in branches.values() for e in discriminator_mismatches(errs)]
        return [_not_one_of(mismatches)]
    if all(value_mismatches(errs) == errs for errs in aimed.values()):
        # A union of constants (an "enum" spelt as oneOf [{const: ...}, ...]).
        return [_not_one_of([e for errs in aimed.values() for e in errs])]

    def wrong_type_only(errs: list[ValidationError]) -> bool:
        return all(e.validator == "type" and not e.relative_path for e in errs)

    typed = {k: v for k, v in aimed.items() if not wrong_type_only(v)}
    if not typed:
        types: list[str] = []
        for errs in aimed.values():
            for e in errs:
                declared = e.validator_value
                for t in declared if isinstance(declared, list) else [declared]:
                    if t not in types:
                        types.append(t)
        return [
            (
                list(error.absolute_path),
                f"{error.instance!r} is not of type {' or '.join(map(repr, types))}",
            )
        ]

    def branch_rank(errs: list[ValidationError]) -> tuple[int, Any]:
        return (len(errs), min(relevance(e) for e in errs))

    best = min(typed.values(), key=branch_rank)
    return [pair for e in best for pair in _explain(e)]


def _not_one_of(mismatches: list[ValidationError]) -> tuple[Sequence[str | int], str]:
    first = min(mismatches, key=lambda e: len(e.absolute_path))
    allowed: list[Any] = []
    for e in mismatches:
        if e.absolute_path != first.absolute_path:
            continue
        values = e.validator_value if e.validator == "enum" else [e.validator_value]
        allowed.extend(v for v in values if v not in allowed)
    with contextlib.suppress(TypeError):  # mixed types: keep spec order
        allowed.sort()
    return list(first.absolute_path), f"{first.instance!r} is not one of {allowed!r}"


def _coerce_query(value: str, schema: Any) -> tuple[Any, str | None]:
    """Coerce a query string value by the parameter's declared type; (value, problem)."""
    declared = schema.get("type") if isinstance(schema, Mapping) else None
    types = set(declared) if isinstance(declared, list) else {declared}
    if "boolean" in types:
        lowered = value.lower()
        if lowered in _TRUE:
            return True, None
        if lowered in _FALSE:
            return False, None
        return value, f"{value!r} is not a boolean (expected true/false/1/0)"
    if "integer" in types:
        if _INTEGER.match(value):
            return int(value), None
        return value, f"{value!r} is not an integer"
    if "number" in types:
        try:
            return float(value), None
        except ValueError:
            return value, f"{value!r} is not a number"
    if "array" in types:
        return [value], None
    return value, None


def _mark_undeclared(schema: Any) -> None:
    """Add ``unevaluatedProperties: false`` to every object schema declaring properties."""
    if isinstance(schema, dict):
        if (
            "properties" in schema
            and "additionalProperties" not in schema
            and "unevaluatedProperties" not in schema
        ):
            schema["unevaluatedProperties"] = False
        for value in schema.values():
            _mark_undeclared(value)
    elif isinstance(schema, list):
        for item in schema:
            _mark_undeclared(item)


class ContractValidator:
    """Validates recorded requests against Discord's OpenAPI spec.

    Validators are compiled lazily, once per operation/media type, and cached.
    """

    def __init__(
        self,
        spec: Mapping[str, Any],
        *,
        strict_snowflakes: bool = False,
        reject_undeclared: bool = False,
    ) -> None:
        doc: dict[str, Any] = copy.deepcopy(dict(spec))
        schemas: dict[str, Any] = doc.setdefault("components", {}).setdefault("schemas", {})
        if not strict_snowflakes and "SnowflakeType" in schemas:
            schemas["SnowflakeType"] = {"anyOf": [schemas["SnowflakeType"], _INT_SNOWFLAKE]}
        if reject_undeclared:
            _mark_undeclared(schemas)
            for item in doc.get("paths", {}).values():
                for method, op in item.items():
                    if method in HTTP_METHODS:
                        _mark_undeclared(op.get("requestBody", {}).get("content", {}))
        self._spec = doc
        self.strict_snowflakes = strict_snowflakes
        self.reject_undeclared = reject_undeclared
        resource = DRAFT202012.create_resource(doc)
        self._registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource).crawl()
        self._templates = [
            _Template(
                path=p,
                segments=tuple(None if _segment_is_param(s) else s for s in _split_path(p)),
                params=tuple(s[1:-1] for s in _split_path(p) if _segment_is_param(s)),
            )
            for p in doc.get("paths", {})
        ]
        self._operations: dict[tuple[str, str], _Operation] = {}
        self._body_validators: dict[tuple[str, str, str], Draft202012Validator] = {}
        self._response_validators: dict[str, Draft202012Validator] = {}

    @classmethod
    def from_file(
        cls, path: Path, *, strict_snowflakes: bool = False, reject_undeclared: bool = False
    ) -> ContractValidator:
        with path.open(encoding="utf-8") as fh:
            spec = json.load(fh)
        return cls(spec, strict_snowflakes=strict_snowflakes, reject_undeclared=reject_undeclared)

    # -- routing ---------------------------------------------------------------------------

    @staticmethod
    def _normalise(path: str) -> str:
        path = path.split("?", 1)[0].split("#", 1)[0]
        path = _API_PREFIX.sub("", path)
        if len(path) > 1:
            path = path.rstrip("/")
        return path or "/"

    def _match(self, path: str) -> tuple[_Template, dict[str, str]] | None:
        segments = _split_path(self._normalise(path))
        best: tuple[tuple[bool, ...], _Template] | None = None
        for template in self._templates:
            if len(template.segments) != len(segments):
                continue
            if not all(
                t is None or t == s for t, s in zip(template.segments, segments, strict=True)
            ):
                continue
            if any(t is None and not s for t, s in zip(template.segments, segments, strict=True)):
                continue
            # Most literal wins; among equals, the one whose literals come first.
            score = tuple(t is not None for t in template.segments)
            if best is None or (sum(score), score) > (sum(best[0]), best[0]):
                best = (score, template)
        if best is None:
            return None
        template = best[1]
        values = [s for t, s in zip(template.segments, segments, strict=True) if t is None]
        return template, dict(zip(template.params, values, strict=True))

    def route_for(self, method: str, path: str) -> str | None:
        """The OpenAPI path template serving ``method path``, or None if the spec has none."""
        match = self._match(path)
        if match is None:
            return None
        template = match[0].path
        return template if method.lower() in self._spec["paths"][template] else None

    # -- operations ------------------------------------------------------------------------

    def _compile(self, pointer: str) -> Draft202012Validator:
        ref = f"{SPEC_URI}#{quote(pointer, safe='/~')}"
        return Draft202012Validator({"$ref": ref}, registry=self._registry)

    def _resolve(self, schema: Any) -> Any:
        while isinstance(schema, Mapping) and "$ref" in schema and len(schema) == 1:
            ref = schema["$ref"]
            resolved = self._registry.resolver(SPEC_URI).lookup(ref).contents
            schema = resolved
        return schema

    def _operation(self, template: str, method: str) -> _Operation:
        key = (template, method)
        cached = self._operations.get(key)
        if cached is not None:
            return cached
        item = self._spec["paths"][template]
        op = item[method]
        params: dict[tuple[str, str], _Param] = {}
        for base, raw_params in (
            (("paths", template, "parameters"), item.get("parameters", [])),
            (("paths", template, method, "parameters"), op.get("parameters", [])),
        ):
            for index, raw in enumerate(raw_params):
                param = self._resolve(raw)
                name, location = param["name"], param["in"]
                ref = raw.get("$ref") if isinstance(raw, Mapping) else None
                if isinstance(ref, str) and ref.startswith("#"):
                    schema_pointer = ref[1:] + "/schema"
                else:
                    schema_pointer = _pointer(*base, str(index), "schema")
                params[(location, name)] = _Param(
                    name=name,
                    location=location,
                    required=bool(param.get("required", location == "path")),
                    schema=self._resolve(param.get("schema", {})),
                    validator=self._compile(schema_pointer),
                )
        body = self._resolve(op.get("requestBody")) if "requestBody" in op else None
        content = body.get("content", {}) if isinstance(body, Mapping) else {}
        compiled = _Operation(
            method=method,
            template=template,
            params=params,
            has_body=body is not None,
            body_required=bool(body.get("required", False)) if body is not None else False,
            media_types=frozenset(content),
        )
        self._operations[key] = compiled
        return compiled

    def _body_validator(self, op: _Operation, media_type: str) -> Draft202012Validator | None:
        key = (op.template, op.method, media_type)
        cached = self._body_validators.get(key)
        if cached is not None:
            return cached
        base = ("paths", op.template, op.method, "requestBody", "content")
        content = self._spec["paths"][op.template][op.method]["requestBody"]["content"]
        pointer: str | None = None
        if media_type == "multipart/form-data":
            multipart = self._resolve(content.get(media_type, {}).get("schema", {}))
            properties = multipart.get("properties", {}) if isinstance(multipart, Mapping) else {}
            if "payload_json" in properties:
                pointer = _pointer(*base, media_type, "schema", "properties", "payload_json")
            elif "application/json" in content:
                pointer = _pointer(*base, "application/json", "schema")
        elif media_type in content:
            pointer = _pointer(*base, media_type, "schema")
        if pointer is None:
            return None
        validator = self._compile(pointer)
        self._body_validators[key] = validator
        return validator

    # -- validation ------------------------------------------------------------------------

    def validate(self, req: RecordedRequest) -> list[str]:
        """Human-readable contract violations of ``req``; ``[]`` when it is valid."""
        method = req.method.lower()
        match = self._match(req.path)
        shown_path = self._normalise(req.path)
        if match is None:
            return [f"{req.method.upper()} {shown_path}: route not in Discord's spec"]
        template, path_values = match
        label = f"{req.method.upper()} {template.path}"
        item = self._spec["paths"][template.path]
        if method not in item:
            allowed = ", ".join(sorted(m.upper() for m in item if m in HTTP_METHODS))
            return [
                f"{req.method.upper()} {shown_path}: route not in Discord's spec "
                f"({template.path} only allows {allowed})"
            ]
        op = self._operation(template.path, method)
        problems = [*self._check_path(op, path_values), *self._check_query(op, req)]
        problems += self._check_body(op, req)
        return [f"{label}: {p}" for p in problems]

    def _check_path(self, op: _Operation, values: Mapping[str, str]) -> Iterator[str]:
        for name, value in values.items():
            param = op.params.get(("path", name))
            if param is None:
                continue
            yield from _describe_errors(param.validator.iter_errors(value), f"path.{name}")

    def _check_query(self, op: _Operation, req: RecordedRequest) -> Iterator[str]:
        query = dict(req.query)
        if "?" in req.path:
            for name, value in parse_qsl(req.path.split("?", 1)[1], keep_blank_values=True):
                query.setdefault(name, value)
        declared = {name: p for (loc, name), p in op.params.items() if loc == "query"}
        for name, value in query.items():
            param = declared.get(name)
            if param is None:
                known = ", ".join(sorted(declared)) or "none"
                yield f"query.{name}: unknown query parameter (spec declares: {known})"
                continue
            coerced, problem = _coerce_query(value, param.schema)
            if problem is not None:
                yield f"query.{name}: {problem}"
                continue
            yield from _describe_errors(param.validator.iter_errors(coerced), f"query.{name}")
        for name, param in declared.items():
            if param.required and name not in query:
                yield f"query.{name}: required query parameter missing"

    def _check_body(self, op: _Operation, req: RecordedRequest) -> list[str]:
        media_type = (req.content_type or "").split(";", 1)[0].strip().lower()
        if req.json is None:
            if op.body_required:
                return ["body: request body is required but none was sent"]
            return []
        if not op.has_body:
            return [f"body: operation takes no request body, got {_truncate(repr(req.json))}"]
        if not media_type:
            media_type = "application/json"
        supported = op.media_types
        if media_type not in supported:
            listed = ", ".join(sorted(supported))
            return [f"body: content type {media_type!r} not accepted (spec lists: {listed})"]
        validator = self._body_validator(op, media_type)
        if validator is None:
            return [f"body: no schema for content type {media_type!r}"]
        return _describe_errors(validator.iter_errors(req.json), "body")

    # -- responses -------------------------------------------------------------------------

    def _response_entry(self, template: str, method: str, status: int) -> tuple[str, Any] | None:
        """The pointer to and the (resolved) response object declared for ``status``."""
        responses = self._spec["paths"][template][method].get("responses", {})
        for key in (str(status), f"{status // 100}XX", "default"):
            if key in responses:
                pointer = _pointer("paths", template, method, "responses", key)
                entry = responses[key]
                ref = entry.get("$ref") if isinstance(entry, Mapping) else None
                if isinstance(ref, str) and ref.startswith("#"):
                    pointer = ref[1:]
                return pointer, self._resolve(entry)
        return None

    def validate_response(
        self, method: str, path: str, status: int, body: Any | None, content_type: str | None
    ) -> list[str]:
        """Contract violations of what the server answered to ``method path``; ``[]`` if none.

        The status must be one the operation declares (exactly, as ``NXX`` or ``default``); a
        declared body must arrive as JSON and match its schema, and a response that declares
        no body (``204``) must carry none.
        """
        match = self._match(path)
        if match is None:
            return [f"{method.upper()} {self._normalise(path)}: route not in Discord's spec"]
        template = match[0].path
        lowered = method.lower()
        if lowered not in self._spec["paths"][template]:
            return [f"{method.upper()} {template}: method not in Discord's spec"]
        label = f"{method.upper()} {template} -> {status}"
        found = self._response_entry(template, lowered, status)
        if found is None:
            return [f"{label}: status not declared by the spec"]
        pointer, entry = found
        content = entry.get("content", {}) if isinstance(entry, Mapping) else {}
        if not content:
            if body is not None:
                return [f"{label}: the spec declares no body, got {_truncate(repr(body))}"]
            return []
        if "application/json" not in content:
            return []
        media = (content_type or "").split(";", 1)[0].strip().lower()
        if media != "application/json" or body is None:
            return [f"{label}: expected an application/json body, got {media or 'none'}"]
        validator = self._response_validators.get(pointer)
        if validator is None:
            validator = self._compile(pointer + "/content/application~1json/schema")
            self._response_validators[pointer] = validator
        return [f"{label}: {p}" for p in _describe_errors(validator.iter_errors(body), "response")]

    def validate_object(self, schema: str, instance: Any, root: str = "object") -> list[str]:
        """Violations of ``instance`` against ``#/components/schemas/<schema>`` (for gateway
        payloads, which carry the same objects the REST answers do)."""
        pointer = _pointer("components", "schemas", schema)
        validator = self._response_validators.get(pointer)
        if validator is None:
            validator = self._compile(pointer)
            self._response_validators[pointer] = validator
        return [f"{schema}: {p}" for p in _describe_errors(validator.iter_errors(instance), root)]
