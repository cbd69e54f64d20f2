"""Charity projects: their places taken and the referrals to them."""

from __future__ import annotations

from aiohttp import web

from backend.api.endpoint import STAFF, Endpoint
from backend.api.schemas import ProjectOut, ReferralOut
from backend.app_keys import DATABASE, PROJECTS
from backend.ports import NotFound


async def list_projects(request: web.Request) -> web.Response:
    async with request.app[DATABASE].unit_of_work() as uow:
        body = [
            ProjectOut(id=p.id, name=p.names, category=p.category, sponsor=p.sponsor, contact=p.contact,
                       capacity=p.capacity, taken=len(await uow.offers.taken("project", p.id))).model_dump()
            for p in request.app[PROJECTS]
        ]
    return web.json_response(body)


async def project_referrals(request: web.Request) -> web.Response:
    project = request.match_info["project"]
    if project not in {p.id for p in request.app[PROJECTS]}:
        raise NotFound(f"no charity project {project}")
    async with request.app[DATABASE].unit_of_work() as uow:
        taken = await uow.offers.taken("project", project)
    return web.json_response([ReferralOut(application_number=o.application_number, accepted_at=o.answered_at)
                              .model_dump(mode="json") for o in taken])


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/api/v1/projects", list_projects, STAFF, "The charity projects and how many places are taken",
             response=ProjectOut, many=True),
    Endpoint("GET", "/api/v1/projects/{project}/referrals", project_referrals, STAFF,
             "The residents' referrals to a project (accepted offers)", response=ReferralOut, many=True, errors=(404,)),
)
