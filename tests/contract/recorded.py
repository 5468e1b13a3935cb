"""Check what the sandbox recorded against Discord's OpenAPI spec: each request the bot made,
and each answer the sandbox gave.

The end-to-end harness calls `problems_in` when a test's sandbox stops, so every request of
every end-to-end test is checked, in whichever worker process the test ran. Requests that differ
only in ids and timestamps validate alike; each shape is checked once per process.
"""

from __future__ import annotations

import functools
import json
import re

from bot.sandbox.server import RecordedRequest as SandboxRequest
from tests.contract.openapi import ContractValidator, RecordedRequest, spec_path

_LONG_NUMBER = re.compile(r"\d{6,}")
_TOKEN_SEGMENT = re.compile(r"/[\w.-]{20,}")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT[0-9:.]+(?:Z|[+-]\d\d:\d\d)")
_checked: set[str] = set()


@functools.cache
def validator() -> ContractValidator:
    return ContractValidator.from_file(spec_path())


@functools.cache
def strict_validator() -> ContractValidator:
    # What the sandbox answers is held to the letter: snowflakes are strings, as Discord sends.
    return ContractValidator.from_file(spec_path(), strict_snowflakes=True)


def shape(req: SandboxRequest) -> str:
    text = json.dumps(
        [
            req.method,
            _TOKEN_SEGMENT.sub("/T", req.path),
            req.query,
            req.json,
            req.status,
            req.response,
        ],
        sort_keys=True,
    )
    return _LONG_NUMBER.sub("0", _TIMESTAMP.sub("T", text))


def distinct(requests: list[SandboxRequest]) -> list[SandboxRequest]:
    """One of each request and answer that differ only in ids and timestamps."""
    seen: set[str] = set()
    out: list[SandboxRequest] = []
    for req in requests:
        key = shape(req)
        if key not in seen:
            seen.add(key)
            out.append(req)
    return out


def as_contract(req: SandboxRequest) -> RecordedRequest:
    return RecordedRequest(
        method=req.method,
        path=req.path,
        query=req.query,
        content_type=req.content_type,
        json=req.json,
    )


def response_problems(checker: ContractValidator, req: SandboxRequest) -> list[str]:
    return checker.validate_response(
        req.method, req.path, req.status, req.response, req.response_content_type
    )


def request_problems(req: SandboxRequest) -> list[str]:
    problems = validator().validate(as_contract(req))
    # 5xx answers are the sandbox's injected faults; Discord's spec declares none.
    if req.status < 500:
        problems += response_problems(strict_validator(), req)
    return problems


def problems_in(requests: list[SandboxRequest]) -> list[str]:
    """Contract problems of the requests whose shape this process has not checked yet."""
    problems: list[str] = []
    for req in requests:
        key = shape(req)
        if key in _checked:
            continue
        _checked.add(key)
        problems += [f"{req.method} {req.path}: {p}" for p in request_problems(req)]
    return problems
