"""One judgement of resident ID numbers: the question, the contract and the imports agree.

Real-world cases: area codes are given at registration, so people born before their area's
code was created carry it (stdnum's ``validate`` refuses them); these must pass everywhere.
"""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError
from stdnum.cn import ric

from backend.application import ApplicationV1
from backend.monitoring.feeds import FeedRow, parse_row
from backend.monitoring.registry_rows import parse_person
from backend.policy.pack import load_pack
from flows.parsing import ParseError, parse_id_number
from id_numbers import MAX_AGE, BadIdNumber, check_id_number, known_area
from tests.backend.factories import id_number
from tests.cases.helpers import payload
from tests.monitoring.registry_files import person

TODAY = date(2026, 12, 5)

# 杭州上城区, born 1981; 330102 dates from 1983.
SHANGCHENG_1981 = "330102198103150214"
# 深圳南山区, born 1975; 440305 is Nanshan from 1990 (南头区办事处 1983-1989).
NANSHAN_1975 = id_number(37, born=date(1975, 6, 12), region="440305")
WRONG_DIGIT = SHANGCHENG_1981[:17] + "3"
NO_SUCH_AREA = id_number(5, born=date(1980, 1, 1), region="990101")
UNKNOWN_COUNTY = id_number(6, born=date(1980, 1, 1), region="110199")  # Beijing has no 0199
BORN_TOMORROW = id_number(7, born=date(2026, 12, 6), region="330102")
TOO_OLD = id_number(8, born=date(1890, 1, 1), region="110101")

ACCEPTED = [SHANGCHENG_1981, NANSHAN_1975]
# (number, the validator's code, the question's message code)
REFUSED = [
    (WRONG_DIGIT, "checksum", "id.checksum"),
    (NO_SUCH_AREA, "region", "id.region"),
    (UNKNOWN_COUNTY, "region", "id.region"),
    (BORN_TOMORROW, "future", "id.birth_date"),
    (TOO_OLD, "too_old", "id.birth_date"),
]


def test_the_real_cases_are_what_stdnum_validate_gets_wrong() -> None:
    # Why stdnum's validate is not used: it refuses both of these real residents.
    assert not ric.is_valid(SHANGCHENG_1981) and not ric.is_valid(NANSHAN_1975)
    assert known_area("330102") and known_area("440305") and not known_area("990101")


def _question(number: str) -> str | None:
    try:
        parse_id_number(number, today=TODAY)
    except ParseError as error:
        return error.code
    return None


def _contract(number: str) -> str | None:
    data = payload()
    data["applicant"]["id_number"] = number
    data["members"][0]["id_number"] = number
    data["members"][0]["age"] = max(0, TODAY.year - int(number[6:10]) - 1)
    try:
        ApplicationV1.model_validate(data, context={"today": TODAY})
    except ValidationError as error:
        return ",".join(sorted({".".join(map(str, e["loc"])) for e in error.errors() if "id_number" in e["loc"]}))
    return None


def _feed(number: str) -> str | None:
    row = parse_row("hr", {"record_id": "R1", "id_number": number, "kind": "unemployed",
                           "occurred_on": "2026-11-01"}, 2)
    return None if isinstance(row, FeedRow) else row.field


OFFICES = {o.code: d.code for d in load_pack("demo").regions.districts for o in d.offices}


def _registry(number: str) -> str | None:
    row = parse_person(person("H1", number), 2, OFFICES, TODAY)
    return row.field if not isinstance(row, tuple) else None


@pytest.mark.parametrize("number", ACCEPTED)
def test_real_numbers_are_accepted_by_every_judge(number: str) -> None:
    assert check_id_number(number, today=TODAY) == (number, date(int(number[6:10]), int(number[10:12]),
                                                                 int(number[12:14])))
    assert _question(number) is None
    assert _contract(number) is None
    assert _feed(number) is None
    assert _registry(number) is None


@pytest.mark.parametrize(("number", "code", "message"), REFUSED)
def test_wrong_numbers_are_refused_by_every_judge_for_the_same_reason(number: str, code: str, message: str) -> None:
    with pytest.raises(BadIdNumber) as refused:
        check_id_number(number, today=TODAY)
    assert refused.value.code == code
    assert number not in str(refused.value) and number[:14] not in str(refused.value)
    assert _question(number) == message
    assert _contract(number) == "applicant.id_number,members.0.id_number"
    assert _registry(number) == "id_number"
    if code not in ("future", "too_old"):  # a feed row's person was judged on their way into the registry
        assert _feed(number) == "id_number"


def test_the_birth_date_is_judged_on_the_given_day() -> None:
    assert check_id_number(BORN_TOMORROW, today=date(2026, 12, 6))[1] == date(2026, 12, 6)
    oldest = id_number(9, born=date(TODAY.year - MAX_AGE, TODAY.month, TODAY.day), region="110101")
    assert check_id_number(oldest, today=TODAY)[0] == oldest
    # Read back without a day (an application stored earlier), only the number itself is judged.
    assert check_id_number(BORN_TOMORROW, today=None)[0] == BORN_TOMORROW


@pytest.mark.parametrize(
    ("typed", "code"),
    [("11010119800230001X", "birth_date"), ("1101011980010100", "length"), ("1101011980010100AX", "invalid"),
     ("", "length"), ("1" * 65, "length")],
)
def test_malformed_numbers_say_why(typed: str, code: str) -> None:
    with pytest.raises(BadIdNumber) as refused:
        check_id_number(typed, today=TODAY)
    assert refused.value.code == code


def test_typed_forms_are_read_as_the_number() -> None:
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in SHANGCHENG_1981)
    for typed in (full_width, "330102 19810315 0214", "330102-19810315-0214", f" {SHANGCHENG_1981} "):
        assert check_id_number(typed, today=TODAY)[0] == SHANGCHENG_1981
    x = id_number(10, born=date(1980, 1, 1), region="110101")
    while x[-1] != "X":  # a number whose check character is X, typed in lower case
        x = id_number(int(x[14:17]) + 1, born=date(1980, 1, 1), region="110101")
    assert check_id_number(x.lower(), today=TODAY)[0] == x


def test_refusals_of_models_with_personal_data_never_echo_a_value() -> None:
    from backend.api.schemas import AssessIn, CreateApplication
    from backend.policy.household import Household

    data = payload()
    wrong = {**data, "applicant": {**data["applicant"], "id_number": WRONG_DIGIT, "mobile": SHANGCHENG_1981}}
    body = {"resident": {"id": "r1"}, "application": wrong}
    household = {k: wrong[k] for k in ("members", "other_income", "assets", "rigid_spending", "housing")}
    household["members"] = [{**wrong["members"][0], "monthly_income": f"-{SHANGCHENG_1981}"}]
    for model, value in ((ApplicationV1, wrong), (CreateApplication, body), (Household, household),
                         (AssessIn, {"household": household})):
        with pytest.raises(ValidationError) as refused:
            model.model_validate(value, context={"today": TODAY})
        text = str(refused.value)
        assert "id_number" in text or "monthly_income" in text or "household" in text
        assert WRONG_DIGIT[:17] not in text and SHANGCHENG_1981[:17] not in text, model.__name__
