"""Service tasks: create, schedule and read one, as its volunteer sees it, and a case's tasks."""

from __future__ import annotations

from aiohttp import web

from backend.api.endpoint import STAFF, Endpoint
from backend.api.requests import case_number, path_id, read_body, request_now
from backend.api.schemas import ScheduleIn, TaskIn, TaskOut, TaskPingOut, VolunteerTaskView
from backend.app_keys import CASES, DATABASE, USER, VOLUNTEERING
from backend.ports import UnitOfWork
from backend.volunteers.ports import Task, TaskSpec


async def _task_out(uow: UnitOfWork, task: Task) -> dict[str, object]:
    spec = task.spec
    pings = []
    for ping in await uow.tasks.pings(task.id):
        volunteer = await uow.volunteers.get(ping.volunteer_id)
        pings.append(TaskPingOut(volunteer_id=ping.volunteer_id, volunteer_name=volunteer.name if volunteer else "",
                                 round=ping.round, goes_out_at=ping.sent_at,
                                 answer=ping.answer.value if ping.answer else None))
    return TaskOut(
        id=task.id, status=task.status.value, skill=spec.skill, office=spec.office, given_name=spec.given_name,
        address=spec.address, details=spec.details, starts_at=spec.starts_at, ends_at=spec.ends_at,
        duration_minutes=spec.duration_minutes, application_number=spec.application_number,
        volunteer_id=task.volunteer_id, round=task.round, created_by=task.created_by, created_at=task.created_at,
        done_at=task.done_at, has_photo=task.photo_document_id is not None, rating=task.rating,
        points_transaction=task.points_txn, checked_in_at=task.checked_in_at, served_minutes=task.served_minutes,
        pings=pings,
    ).model_dump(mode="json")


def _task_id(request: web.Request) -> int:
    return path_id(request, "task")


async def create_task(request: web.Request) -> web.Response:
    body: TaskIn = await read_body(request, TaskIn)
    spec = TaskSpec(**body.model_dump())  # what the caseworker asks for is the body, field for field
    async with request.app[DATABASE].unit_of_work() as uow:
        task = await request.app[VOLUNTEERING].create_task(uow, request[USER], spec, now=request_now(request))
        out = await _task_out(uow, task)  # with when each ping goes out
        await uow.commit()
    return web.json_response(out, status=201)


async def schedule_task(request: web.Request) -> web.Response:
    body: ScheduleIn = await read_body(request, ScheduleIn)
    async with request.app[DATABASE].unit_of_work() as uow:
        task = await request.app[VOLUNTEERING].schedule(
            uow, request[USER], _task_id(request), address=body.address, details=body.details,
            starts_at=body.starts_at, ends_at=body.ends_at, now=request_now(request),
        )
        out = await _task_out(uow, task)
        await uow.commit()
    return web.json_response(out)


async def get_task(request: web.Request) -> web.Response:
    async with request.app[DATABASE].unit_of_work() as uow:
        task = await request.app[VOLUNTEERING].get_task(uow, request[USER], _task_id(request))
        out = await _task_out(uow, task)
    return web.json_response(out)


async def task_volunteer_view(request: web.Request) -> web.Response:
    volunteering = request.app[VOLUNTEERING]
    async with request.app[DATABASE].unit_of_work() as uow:
        task = await volunteering.get_task(uow, request[USER], _task_id(request))
    view = volunteering.view(task, assigned=task.volunteer_id is not None)
    return web.json_response(VolunteerTaskView.model_validate(view).model_dump(mode="json"))


async def application_tasks(request: web.Request) -> web.Response:
    async with request.app[DATABASE].unit_of_work() as uow:
        await request.app[CASES].get(uow, request[USER], case_number(request), now=request_now(request))
        tasks = await uow.tasks.for_application(case_number(request))
        out = [await _task_out(uow, t) for t in tasks]
    return web.json_response(out)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("POST", "/api/v1/tasks", create_task, STAFF,
             "Create a service task (for a case or not); the best-ranked volunteers are pinged at once",
             body=TaskIn, response=TaskOut, status=201, errors=(403, 404, 422)),
    Endpoint("GET", "/api/v1/tasks/{task}", get_task, STAFF, "A service task", response=TaskOut, errors=(403, 404)),
    Endpoint("POST", "/api/v1/tasks/{task}/schedule", schedule_task, STAFF,
             "Set the place and time of a task a resident asked for; volunteers are then pinged",
             body=ScheduleIn, response=TaskOut, errors=(403, 404, 422)),
    Endpoint("GET", "/api/v1/tasks/{task}/volunteer-view", task_volunteer_view, STAFF,
             "The task exactly as its volunteer sees it", response=VolunteerTaskView, errors=(403, 404)),
    Endpoint("GET", "/api/v1/applications/{number}/tasks", application_tasks, STAFF, "The service tasks of a case",
             response=TaskOut, many=True, errors=(403, 404)),
)
