"""A client of the API for the bot in split mode: submissions over HTTP, retried with one key."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future
from datetime import UTC, date, datetime
from typing import Any

import aiohttp
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from backend.ports import ApplicationSummary
from backend.status import ApplicationStatus

log = logging.getLogger(__name__)


class ApiUnavailable(RuntimeError):
    """The API did not answer usefully after every attempt; the caller's turn fails and is retried."""


class ApiClient:
    """Talks to ``/api/v1`` with a bot-service token. Open with ``start`` and close with ``close``."""

    def __init__(self, base_url: str, token: str, *, attempts: int = 4, backoff: float = 0.5,
                 timeout: float = 30.0) -> None:
        self._base = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._attempts, self._backoff, self._timeout = attempts, backoff, timeout
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(headers=self._headers,
                                              timeout=aiohttp.ClientTimeout(total=self._timeout))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def create_application(
        self, *, resident_id: str, application: dict[str, object], document_ids: list[str], key: str
    ) -> tuple[int, dict[str, object]]:
        """POST the application; (201, created) or (409, the open one). Network errors and 5xx are
        retried with the same idempotency key, so a retry never makes a second application.

        Raises:
            ApiUnavailable: still failing after every attempt, or refused (4xx other than 409).
        """
        body = {"resident": {"id": resident_id}, "application": application, "document_ids": document_ids}
        headers = {"Idempotency-Key": key}
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential(multiplier=self._backoff),
            retry=retry_if_exception_type((_ServerError, aiohttp.ClientError, asyncio.TimeoutError)),
            before_sleep=lambda state: self._log_attempt(state.outcome, state.attempt_number),
        )
        try:
            async for attempt in retrying:
                with attempt:
                    answered = await self._post(body, headers)
        except RetryError as failed:
            self._log_attempt(failed.last_attempt, failed.last_attempt.attempt_number)
            raise ApiUnavailable(f"no answer from the API at {self._base} after {self._attempts} attempts") from None
        return answered

    async def _post(self, body: dict[str, object], headers: dict[str, str]) -> tuple[int, dict[str, object]]:
        assert self._session is not None, "ApiClient.start() has not been called"
        async with self._session.post(f"{self._base}/api/v1/applications", json=body, headers=headers) as response:
            answer = await response.json(content_type=None)
            if response.status in (201, 409):
                return response.status, answer
            if response.status < 500:
                # A bug on one side or the other: say which field, never the values.
                raise ApiUnavailable(f"the API refused the application: {response.status} "
                                     f"{answer.get('error')} {[f.get('field') for f in answer.get('fields', [])]}")
            raise _ServerError(response.status)

    def _log_attempt(self, outcome: Future[object] | None, attempt: int) -> None:
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, _ServerError):
            log.warning("API answered %s (attempt %d of %d)", error.status, attempt, self._attempts)
        elif error is not None:
            log.warning("API unreachable: %s (attempt %d of %d)", type(error).__name__, attempt, self._attempts)


class _ServerError(Exception):
    """The API answered 5xx: worth another attempt."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def summary_of(status: int, answer: dict[str, Any]) -> ApplicationSummary:
    """The application a 201 or 409 answer names."""
    if status == 201:
        return ApplicationSummary(
            number=answer["number"],
            status=ApplicationStatus(answer["status"]),
            submitted_at=datetime.fromisoformat(answer["submitted_at"]),
            office=answer["office"],
        )
    # A duplicate's answer names only the open application and its status, which is all the bot shows.
    return ApplicationSummary(
        number=answer["number"],
        status=ApplicationStatus(answer["status"]),
        submitted_at=datetime.fromtimestamp(0, UTC),
        office="",
    )


def review_date(answer: dict[str, Any]) -> date:
    return date.fromisoformat(answer["review_by"])
