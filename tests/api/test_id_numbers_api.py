"""The API judges ID numbers as the intake question does (one validator, id_numbers)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.api.conftest import auth, create_body
from tests.backend.factories import id_number
from tests.cases.helpers import NOW

SHANGCHENG_1981 = "330102198103150214"  # area code from 1983: stdnum's validate refuses it
NANSHAN_1975 = id_number(37, born=date(1975, 6, 12), region="440305")  # Nanshan from 1990
BORN_TOMORROW = id_number(7, born=NOW.date().replace(day=NOW.day + 1), region="330102")
NO_SUCH_AREA = id_number(5, born=date(1980, 1, 1), region="990101")


def body_with(number: str) -> dict[str, Any]:
    body = create_body()
    body["application"]["applicant"]["id_number"] = number
    body["application"]["members"][0]["id_number"] = number
    return body


@pytest.mark.parametrize("number", [SHANGCHENG_1981, NANSHAN_1975])
async def test_residents_born_before_their_area_code_are_taken(client, tokens, number) -> None:
    response = await client.post("/api/v1/applications", json=body_with(number), headers=auth(tokens["bot"]))
    assert response.status == 201, await response.text()


@pytest.mark.parametrize("number", [BORN_TOMORROW, NO_SUCH_AREA])
async def test_numbers_the_question_refuses_are_refused_naming_the_field(client, tokens, number) -> None:
    response = await client.post("/api/v1/applications", json=body_with(number), headers=auth(tokens["bot"]))
    body = await response.json()
    assert response.status == 422
    fields = [f["field"] for f in body["fields"]]
    assert any(f.endswith("applicant.id_number") for f in fields)
    assert any(f.endswith("members.0.id_number") for f in fields)
    assert number[:17] not in await response.text()
