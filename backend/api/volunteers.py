"""Volunteers: read one, and vouch for a skill they offered."""

from __future__ import annotations

from aiohttp import web

from backend.api.endpoint import STAFF, Endpoint
from backend.api.errors import ApiError
from backend.api.requests import path_id, request_now
from backend.api.schemas import FieldError, VolunteerOut
from backend.app_keys import DATABASE, USER, VOLUNTEERING
from backend.cases.ports import OFFICE_ROLES, User
from backend.ports import NotFound, UnitOfWork
from backend.store.errors import Forbidden
from backend.volunteers.hours import hours_credited
from backend.volunteers.ports import SKILLS, Volunteer


def _volunteer_id(request: web.Request) -> int:
    return path_id(request, "volunteer")


async def _volunteer_out(uow: UnitOfWork, volunteer: Volunteer) -> dict[str, object]:
    return VolunteerOut(
        id=volunteer.id, name=volunteer.name, mobile=volunteer.mobile, offices=list(volunteer.offices),
        availability=list(volunteer.availability), paused=volunteer.paused, skills=volunteer.skills,
        hours_served=await hours_credited(uow, volunteer.id), created_at=volunteer.created_at,
    ).model_dump(mode="json")


async def get_volunteer(request: web.Request) -> web.Response:
    user: User = request[USER]
    async with request.app[DATABASE].unit_of_work() as uow:
        volunteer = await uow.volunteers.get(_volunteer_id(request))
        if volunteer is None:
            raise NotFound(f"no volunteer {_volunteer_id(request)}")
        if user.role in OFFICE_ROLES and user.office not in volunteer.offices:
            raise Forbidden(f"volunteer {volunteer.id} does not cover {user.office}")
        return web.json_response(await _volunteer_out(uow, volunteer))


async def qualify_skill(request: web.Request) -> web.Response:
    skill = request.match_info["skill"]
    if skill not in SKILLS:
        raise ApiError(422, "invalid", f"unknown skill {skill!r}",
                       fields=[FieldError(field="skill", message=", ".join(SKILLS))])
    async with request.app[DATABASE].unit_of_work() as uow:
        volunteer = await request.app[VOLUNTEERING].qualify(uow, request[USER], _volunteer_id(request), skill,
                                                            now=request_now(request))
        body = await _volunteer_out(uow, volunteer)
        await uow.commit()
    return web.json_response(body)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/api/v1/volunteers/{volunteer}", get_volunteer, STAFF, "A volunteer and their skills",
             response=VolunteerOut, errors=(403, 404)),
    Endpoint("POST", "/api/v1/volunteers/{volunteer}/skills/{skill}/qualification", qualify_skill, STAFF,
             "A caseworker vouches for a skill the volunteer offered", response=VolunteerOut, errors=(403, 404, 422)),
)
