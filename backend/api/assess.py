"""Assessment of a household under a policy pack, nothing stored."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiohttp import web

from backend.api.endpoint import ANYONE, Endpoint
from backend.api.errors import ApiError
from backend.api.requests import read_body, request_now
from backend.api.schemas import AssessIn, AssessOut, FieldError
from backend.app_keys import PACK, PACKS, TRANSLATIONS


async def assess_household(request: web.Request) -> web.Response:
    from backend.policy.assess import assess
    from backend.policy.errors import PackError, UnknownRegion
    from backend.policy.explain import explain
    from backend.policy.parameters import ParameterNotInForce

    body: AssessIn = await read_body(request, AssessIn)
    try:
        pack = request.app[PACKS](body.region) if body.region else request.app[PACK]
    except PackError:
        raise ApiError(422, "invalid", f"unknown region {body.region!r}",
                       fields=[FieldError(field="region", message="no policy pack of that name")]) from None
    on = body.date or request_now(request).astimezone(ZoneInfo(pack.regions.timezone)).date()
    try:
        result = assess(body.household, on, pack)
    except UnknownRegion as error:
        raise ApiError(422, "invalid", str(error),
                       fields=[FieldError(field="household.region.office", message=str(error))]) from None
    except ParameterNotInForce as error:
        raise ApiError(422, "invalid", str(error), fields=[FieldError(field="date", message=str(error))]) from None
    explanation = None
    if body.lang:
        messages = request.app[TRANSLATIONS](body.lang)
        explanation = explain(result, messages, pack.regions)
    return web.json_response(AssessOut(assessment=result.as_json(), explanation=explanation).model_dump(mode="json"))


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("POST", "/api/v1/assess", assess_household, ANYONE,
             "Assess a household under a policy pack (nothing stored)",
             body=AssessIn, response=AssessOut, errors=(422,)),
)
