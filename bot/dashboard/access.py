"""Who is asking: the session behind the cookie, the roles and scope asked again at every
request (bot.auth.user_roles, as every chat command does), and the CSRF token of every form.

A refusal is an audit row like a refused chat command (the audit log collapses repeats), then
a 403 page; a request without a session gets a 401 page that says how to sign in.

The CSRF token is derived from the session id (SHA-256 of a constant and the id): only the
browser holding the HttpOnly cookie can know it, it changes with every session, and nothing
more needs storing. Forms carry it in a hidden field; the server compares in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.auth import Roles, user_roles
from bot.i18n import Translator
from bot.services import Services

log = logging.getLogger(__name__)

COOKIE = "buurtwacht_session"


def csrf_token(session_id: str) -> str:
    return hashlib.sha256(b"buurtwacht-dashboard-csrf:" + session_id.encode()).hexdigest()


class Refused(Exception):
    """The visitor may not do this: answered 401 (no session) or 403, after the audit row."""

    def __init__(self, status: int, translator: Translator | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.translator = translator


@dataclass(frozen=True)
class Form:
    """A POST's fields: texts by name, and the bytes of uploaded files."""

    data: Any = None  # aiohttp's MultiDictProxy of str and FileField

    def get(self, name: str) -> str:
        value = self.data.get(name, "") if self.data is not None else ""
        return value if isinstance(value, str) else ""

    def getall(self, name: str) -> list[str]:
        if self.data is None:
            return []
        return [v for v in self.data.getall(name, []) if isinstance(v, str)]

    def file(self, name: str) -> bytes | None:
        value = self.data.get(name) if self.data is not None else None
        if isinstance(value, web.FileField):
            data = value.file.read()
            return data if isinstance(data, bytes) and data else None
        return None


@dataclass
class Visitor:
    user_id: int
    roles: Roles
    translator: Translator
    session_id: str
    form: Form = field(default_factory=Form)

    @property
    def csrf(self) -> str:
        return csrf_token(self.session_id)

    @property
    def scope(self) -> frozenset[str]:
        return self.roles.municipalities


async def refuse(
    services: Services,
    request: web.Request,
    user_id: int | None,
    action: str,
    target: str,
    translator: Translator | None = None,
) -> Refused:
    """The audit row of a refused request, and the exception that answers it with 403."""
    new_row = await services.audit.record(
        user_id,
        action,
        target[:200],
        outcome="refused",
        detail=f"dashboard {request.method} {request.path}"[:200],
        now=services.now(),
    )
    if new_row:  # a flood of repeats is counted in the audit log, not logged line by line
        log.warning("dashboard refused %s user_id=%s", action, user_id)
    return Refused(403, translator)


async def visitor(services: Services, request: web.Request, action: str) -> Visitor:
    """The signed-in adviser or admin of this request; raises Refused otherwise. A POST must
    carry the session's CSRF token."""
    session_id = request.cookies.get(COOKIE, "")
    session = await services.dashboard.session(session_id, services.now()) if session_id else None
    if session is None:
        raise Refused(401)
    _ = services.i18n.get(session.locale).for_web()
    roles = await user_roles(services, session.user_id)
    if not roles.adviser:
        raise await refuse(services, request, session.user_id, action, "", _)
    form = Form()
    if request.method == "POST":
        form = Form(await request.post())
        if not hmac.compare_digest(form.get("csrf").encode(), csrf_token(session_id).encode()):
            raise await refuse(services, request, session.user_id, "dashboard.csrf", action, _)
    return Visitor(session.user_id, roles, _, session_id, form)


async def require(
    services: Services,
    request: web.Request,
    who: Visitor,
    action: str,
    municipalities: Iterable[str],
    target: str = "",
) -> None:
    """Every one of `municipalities` must be in the visitor's scope (an empty set never is)."""
    wanted = sorted(set(municipalities))
    if not who.roles.covers(wanted):
        raise await refuse(
            services, request, who.user_id, action, target or ",".join(wanted), who.translator
        )
