"""Schemathesis over /api/v1's own OpenAPI document, as each role, against the served application.

Every operation gets generated requests (valid ones, and invalid ones that the API must refuse with
a 4xx it documents) with the caller's token; each response is checked for a server error, a status
the document does not list for the operation, a content type it does not list, and a body that does
not match the documented schema. Any of these fails the test, which lists every distinct failure
(operation, check, status) with the smallest request that showed it as a curl line and, for a 500,
the innermost frame of the traceback the server logged.

Bodies a generator from the document seldom writes (nesting 100,000 deep, a number of 100,000
digits, bytes that are not UTF-8 ...) are also sent to every operation that takes a body, as each role.
"""

from __future__ import annotations

import asyncio
import copy
import re
from dataclasses import dataclass

import pytest
import requests
import schemathesis
from hypothesis import given
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from backend.api.openapi import openapi_document
from tests.fuzz.conftest import ACCOUNTS, Served, Tracebacks, bounded, last_frame

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Examples per operation, per mode (valid and invalid requests) and per role: 32 operations, 2 modes
# and 5 roles make 320 runs of this budget per database: about a minute and a half on SQLite and
# two and a half on PostgreSQL.
EXAMPLES = 15


def document_over(path_values: dict[str, list[str]]) -> dict:
    """The served document, with each path parameter also drawn from the seeded rows' ids.

    The document types path parameters as strings; random strings almost never name a row, so
    the handlers' work past the lookup would go untested. Integers are added as well, as the
    ids behind most of them are integers (the huge ones included)."""
    document = copy.deepcopy(openapi_document())
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation["parameters"]:
                if parameter["in"] == "path" and parameter["name"] in path_values:
                    parameter["schema"] = {"anyOf": [{"enum": path_values[parameter["name"]]},
                                                     {"type": "string", "minLength": 1}, {"type": "integer"}]}
    return document


@dataclass
class Failure:
    operation: str
    status: int
    checks: set[str]
    curl: str
    frame: str | None

    def __str__(self) -> str:
        frame = f"\n      last frame: {self.frame}" if self.frame else ""
        return f"- {self.operation} -> {self.status} [{', '.join(sorted(self.checks))}]\n      {self.curl}{frame}"


def fuzz(served: Served, role: str, tracebacks: Tracebacks) -> list[Failure]:
    """Every operation as ``role``; the distinct failures, each with its shortest reproduction.

    Failures are told apart by operation, status and cause: the frame a 500 was raised in, or
    the check for any other response, so that one frequent cause does not hide another."""
    schema = schemathesis.openapi.from_dict(document_over(served.seeded.path_values))
    headers = {"Authorization": f"Bearer {served.seeded.tokens[role]}"}
    found: dict[tuple[str, int, str], Failure] = {}
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):

                @bounded(EXAMPLES)
                @given(case=operation.as_strategy(generation_mode=mode))
                def run(case: schemathesis.Case) -> None:
                    tracebacks.take()
                    response = case.call(base_url=served.base_url, session=session, headers=headers, timeout=30)
                    try:
                        case.validate_response(response, checks=CHECKS, headers=headers)
                    except FailureGroup as group:
                        logged = tracebacks.take()
                        frame = last_frame(logged[-1]) if logged else None
                        curl = case.as_curl_command(headers=headers, base_url=served.base_url).split("\n")[0]
                        curl = curl.replace("'Authorization: [Filtered]'", '"Authorization: Bearer $TOKEN"')
                        titles = {failure.title for failure in group.exceptions}
                        causes = [": ".join(frame.split(": ")[:2])] if frame else sorted(titles)
                        for cause in causes:
                            key = (case.operation.label, response.status_code, cause)
                            known = found.get(key)
                            if known is None or len(curl) < len(known.curl):
                                found[key] = Failure(case.operation.label, response.status_code,
                                                     titles | (known.checks if known else set()), curl, frame)
                            else:
                                known.checks |= titles

                run()
    return sorted(found.values(), key=lambda f: (f.operation, f.status, f.frame or ""))


@pytest.mark.parametrize("role", list(ACCOUNTS))
async def test_every_operation_keeps_its_documented_contract(served_api: Served, tracebacks: Tracebacks,
                                                             role: str) -> None:
    failures = await asyncio.to_thread(fuzz, served_api, role, tracebacks)
    if failures:
        pytest.fail(f"{len(failures)} distinct failures as {role}:\n" + "\n".join(map(str, failures)), pytrace=False)


# Bodies that a generator from the document seldom or never writes, sent to every operation that
# takes a body: each must be refused with a status the operation documents.
HOSTILE_BODIES = {
    "arrays nested 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
    "objects nested 100,000 deep": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "a number of 100,000 digits": b'{"amount": ' + b"9" * 100_000 + b"}",
    "a number beyond a double": b'{"amount": 1e400}',
    "bytes that are not UTF-8": b'{"amount": "\xff\xfe"}',
    "a lone surrogate": b'{"amount": "\\ud800"}',
    "not an object": b"[]",
    "nothing": b"",
}


def send_hostile_bodies(served: Served, role: str, tracebacks: Tracebacks) -> list[Failure]:
    headers = {"Authorization": f"Bearer {served.seeded.tokens[role]}", "Content-Type": "application/json"}
    found: list[Failure] = []
    with requests.Session() as session:
        for path, operations in openapi_document()["paths"].items():
            for method, operation in operations.items():
                if "requestBody" not in operation:
                    continue
                url = served.base_url + re.sub(r"{(\w+)}", lambda m: served.seeded.path_values[m.group(1)][0], path)
                for name, body in HOSTILE_BODIES.items():
                    tracebacks.take()
                    response = session.request(method.upper(), url, data=body, headers=headers, timeout=60)
                    logged = tracebacks.take()
                    if response.status_code >= 500 or str(response.status_code) not in operation["responses"]:
                        shown = body if len(body) <= 40 else body[:30] + b"...(%d bytes)" % len(body)
                        found.append(Failure(f"{method.upper()} {path}", response.status_code, {name},
                                             f"curl -X {method.upper()} -H 'Content-Type: application/json' "
                                             f"--data-binary {shown!r} {url}",
                                             last_frame(logged[-1]) if logged else None))
    return found


@pytest.mark.parametrize("role", list(ACCOUNTS))
async def test_hostile_bodies_get_a_documented_refusal(served_api: Served, tracebacks: Tracebacks, role: str) -> None:
    failures = await asyncio.to_thread(send_hostile_bodies, served_api, role, tracebacks)
    if failures:
        pytest.fail(f"{len(failures)} failures as {role}:\n" + "\n".join(map(str, failures)), pytrace=False)
