"""The API's route table: every resource's endpoints, in the order the router adds them and the OpenAPI
document lists them."""

from __future__ import annotations

from backend.api import (
    applications,
    assess,
    broadcasts,
    funds,
    me,
    monitoring,
    points,
    projects,
    tasks,
    threads,
    volunteers,
)
from backend.api.endpoint import Endpoint

ENDPOINTS: tuple[Endpoint, ...] = (
    *me.ENDPOINTS,
    *applications.ENDPOINTS,
    *threads.ENDPOINTS,
    *broadcasts.ENDPOINTS,
    *points.ENDPOINTS,
    *funds.ENDPOINTS,
    *projects.ENDPOINTS,
    *tasks.ENDPOINTS,
    *volunteers.ENDPOINTS,
    *assess.ENDPOINTS,
    *monitoring.ENDPOINTS,
)
