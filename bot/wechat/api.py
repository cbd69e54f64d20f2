"""The WeChat API over aiohttp (never a blocking call on the event loop), with the access token
shared through the database.

WeChat keeps one access token valid per account: a process that fetched its own would end
the others'. So the token lives in the database; a process takes it from there, and only the
one holding the row's lock fetches a new one, before it expires or when WeChat says it is no
longer valid (40001, 42001, 40014). "System busy" (-1) and network errors are retried with
backoff a few times; what still fails is the caller's to postpone.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from backend.ports import Store, UnitOfWork
from backend.store.wechat_tokens import AccessToken
from backend.wechat_config import WeChatConfig

log = logging.getLogger(__name__)

TOKEN_INVALID = frozenset({40001, 42001, 40014})
BUSY = -1
OUT_OF_WINDOW = 45015
OVER_CAP = 45047
# A token is refreshed this long before WeChat says it expires (it lives two hours).
TOKEN_MARGIN = timedelta(minutes=5)


class WeChatError(Exception):
    """WeChat answered with an error code."""

    def __init__(self, code: int, message: str = "") -> None:
        super().__init__(f"wechat error {code}: {message}")
        self.code = code


def _transient(error: BaseException) -> bool:
    if isinstance(error, WeChatError):
        return error.code == BUSY
    return isinstance(error, aiohttp.ClientError | TimeoutError)


def _wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(eq=False)
class WeChatApi:
    """Calls of one account's API.

    Args:
        attempts: tries of a call that meets -1 or a network error, with backoff from ``backoff`` s.
    """

    config: WeChatConfig
    database: Store[UnitOfWork]
    _: KW_ONLY
    clock: Callable[[], datetime] = _wall_clock
    attempts: int = 3
    backoff: float = 0.2
    timeout: float = 10.0
    _session: aiohttp.ClientSession | None = field(default=None, init=False, repr=False)
    _token: AccessToken | None = field(default=None, init=False, repr=False)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    # ------------------------------------------------------------------ the token

    async def access_token(self, *, refused: str | None = None) -> str:
        """A valid token; ``refused``: one WeChat just called invalid, which is not used again."""
        now = self.clock()
        mine = self._token
        if mine is not None and mine.token != refused and mine.expires_at - TOKEN_MARGIN > now:
            return mine.token
        app_id = self.config.app_id
        async with self.database.unit_of_work() as uow:
            await uow.wechat_tokens.lock(app_id)
            stored = await uow.wechat_tokens.get(app_id)
            if stored is None or stored.token == refused or stored.expires_at - TOKEN_MARGIN <= now:
                stored = await self._fetch_token(now)
                await uow.wechat_tokens.put(app_id, stored, at=now)
                log.info("wechat access token refreshed")
            await uow.commit()
        self._token = stored
        return stored.token

    async def _fetch_token(self, now: datetime) -> AccessToken:
        params = {"grant_type": "client_credential", "appid": self.config.app_id, "secret": self.config.app_secret}
        answer = await self._retrying("GET", "/cgi-bin/token", params=params)
        assert isinstance(answer, dict)
        return AccessToken(str(answer["access_token"]), now + timedelta(seconds=int(answer.get("expires_in", 7200))))

    # ------------------------------------------------------------------ calls

    async def call(self, method: str, path: str, *, payload: Mapping[str, object] | None = None,
                   params: dict[str, str] | None = None, data: aiohttp.FormData | None = None
                   ) -> dict[str, object] | bytes:
        """One API call with the token; a token WeChat refuses is replaced and the call made again once.

        Raises:
            WeChatError: WeChat's error (after retries of -1), or aiohttp.ClientError / TimeoutError.
        """
        token = await self.access_token()
        try:
            return await self._retrying(method, path, params={**(params or {}), "access_token": token}, payload=payload,
                                        data=data)
        except WeChatError as error:
            if error.code not in TOKEN_INVALID:
                raise
            log.info("wechat refused the access token (%s); fetching another", error.code)
        token = await self.access_token(refused=token)
        return await self._retrying(method, path, params={**(params or {}), "access_token": token}, payload=payload,
                                    data=data)

    async def _retrying(self, method: str, path: str, *, params: dict[str, str] | None = None,
                        payload: Mapping[str, object] | None = None, data: aiohttp.FormData | None = None
                        ) -> dict[str, Any] | bytes:
        retrying = AsyncRetrying(stop=stop_after_attempt(self.attempts),
                                 wait=wait_exponential(multiplier=self.backoff, max=5.0),
                                 retry=retry_if_exception(_transient), reraise=True)
        async for attempt in retrying:
            with attempt:
                return await self._once(method, path, params=params, payload=payload, data=data)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(self, method: str, path: str, *, params: dict[str, str] | None = None,
                    payload: Mapping[str, object] | None = None, data: aiohttp.FormData | None = None
                    ) -> dict[str, object] | bytes:
        url = self.config.api_base_url + path
        # WeChat wants UTF-8 JSON as is: json= would escape every Chinese character.
        body: aiohttp.FormData | bytes | None = data
        headers = {}
        if payload is not None:
            body = json.dumps(payload, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json; charset=utf-8"
        async with self._http().request(method, url, params=params, data=body, headers=headers) as response:
            raw = await response.read()
            kind = response.content_type
        if response.status >= 500:
            raise aiohttp.ClientResponseError(response.request_info, (), status=response.status)
        if kind.startswith(("image/", "audio/", "video/", "application/octet-stream")):
            return raw
        answer = json.loads(raw)
        code = int(answer.get("errcode", 0) or 0)
        if code != 0:
            raise WeChatError(code, str(answer.get("errmsg", "")))
        return dict(answer)

    # ------------------------------------------------------------------ what Yimen sends

    async def send_text(self, openid: str, text: str) -> None:
        await self.call("POST", "/cgi-bin/message/custom/send",
                        payload={"touser": openid, "msgtype": "text", "text": {"content": text}})

    async def send_menu(self, openid: str, menu: Mapping[str, object]) -> None:
        await self.call("POST", "/cgi-bin/message/custom/send",
                        payload={"touser": openid, "msgtype": "msgmenu", "msgmenu": menu})

    async def send_template(self, openid: str, template_id: str, data: dict[str, dict[str, str]]) -> None:
        await self.call("POST", "/cgi-bin/message/template/send",
                        payload={"touser": openid, "template_id": template_id, "data": data})

    async def download_media(self, media_id: str) -> bytes:
        answer = await self.call("GET", "/cgi-bin/media/get", params={"media_id": media_id})
        if not isinstance(answer, bytes):
            raise WeChatError(40007, "not a file")
        return answer

    async def openid_of(self, code: str) -> str:
        """The follower a web authorization's ``code`` was given to (snsapi_base); no access token."""
        params = {"appid": self.config.app_id, "secret": self.config.app_secret, "code": code,
                  "grant_type": "authorization_code"}
        answer = await self._retrying("GET", "/sns/oauth2/access_token", params=params)
        assert isinstance(answer, dict)
        return str(answer["openid"])

    async def create_menu(self, menu: Mapping[str, object]) -> None:
        await self.call("POST", "/cgi-bin/menu/create", payload=menu)

    async def create_qrcode(self, scene: str, *, expire_seconds: int | None = None) -> dict[str, object]:
        """A parametrised QR code for ``scene``: permanent, or temporary for ``expire_seconds``."""
        body: dict[str, object] = {"action_name": "QR_LIMIT_STR_SCENE" if expire_seconds is None else "QR_STR_SCENE",
                                "action_info": {"scene": {"scene_str": scene}}}
        if expire_seconds is not None:
            body["expire_seconds"] = expire_seconds
        answer = await self.call("POST", "/cgi-bin/qrcode/create", payload=body)
        assert isinstance(answer, dict)
        return answer
