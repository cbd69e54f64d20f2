"""Who may call what: every endpoint against every role, and office scopes. The table is the spec."""

from __future__ import annotations

import pytest

from backend.api.routes import ENDPOINTS
from tests.api.conftest import auth, create_body

WHO = ("anonymous", "wang", "zhao", "boss", "root", "bot")
# wang, boss: caseworker and supervisor of hubin (the case's office); zhao: caseworker of wenchang;
# root: administrator; bot: the bot's service account.
MATRIX: dict[tuple[str, str], tuple[int, ...]] = {
    ("GET", "/api/v1/me"): (401, 200, 200, 200, 200, 200),
    ("POST", "/api/v1/applications"): (401, 201, 403, 201, 201, 201),
    ("GET", "/api/v1/applications"): (401, 200, 200, 200, 200, 403),
    ("GET", "/api/v1/applications/{number}"): (401, 200, 403, 200, 200, 403),
    ("POST", "/api/v1/applications/{number}/actions"): (401, 200, 403, 200, 200, 403),
    ("GET", "/api/v1/applications/{number}/history"): (401, 200, 403, 200, 200, 403),
    ("GET", "/api/v1/applications/{number}/notes"): (401, 200, 403, 200, 200, 403),
    ("POST", "/api/v1/applications/{number}/notes"): (401, 201, 403, 201, 201, 403),
    ("POST", "/api/v1/broadcasts"): (401, 403, 403, 202, 202, 403),
    ("POST", "/api/v1/assess"): (401, 200, 200, 200, 200, 200),
    ("GET", "/api/v1/openapi.json"): (200, 200, 200, 200, 200, 200),
}


def test_the_matrix_covers_every_endpoint():
    assert {(e.method, e.path) for e in ENDPOINTS} | {("GET", "/api/v1/openapi.json")} == set(MATRIX)


def _body(method: str, path: str, serial: int) -> dict | None:
    if path == "/api/v1/applications" and method == "POST":
        return create_body(serial, resident=f"r{serial}")
    if path.endswith("/actions"):
        return {"action": "assign", "assignee": "li"}
    if path.endswith("/notes") and method == "POST":
        return {"body": "note"}
    if path == "/api/v1/broadcasts":
        return {"message": {"zh_CN": "通知", "en": "Notice"}}
    if path == "/api/v1/assess":
        application = create_body()["application"]
        return {"household": {k: application[k] for k in ("members", "assets", "housing")}}
    return None


@pytest.mark.parametrize(("method", "path"), list(MATRIX))
async def test_authorization(client, tokens, method, path):
    created = await client.post("/api/v1/applications", json=create_body(99, resident="owner"),
                                headers=auth(tokens["bot"]))
    number = (await created.json())["number"]
    got = []
    for serial, who in enumerate(WHO, start=1):
        headers = auth(tokens[who]) if who in tokens else {}
        response = await client.request(method, path.replace("{number}", number), json=_body(method, path, serial),
                                        headers=headers)
        got.append(response.status)
    assert tuple(got) == MATRIX[(method, path)], dict(zip(WHO, got))
