"""Live events for signed-in staff over server-sent events (GET /api/v1/events).

One stream per desktop or wallboard: the caller's own desk always, a tenant's board and one
conversation on request, each authorized here. A reconnect resumes after the Last-Event-ID header
(what EventSource sends) or the `last_event_id` query, losing nothing the broker still holds.
"""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from helpline.domain.errors import DomainError
from helpline.domain.interactions import MAX_ID
from helpline.realtime import sse
from helpline.realtime.broker import Broker
from helpline.services import conversations
from helpline.web.dependencies import CallerDep, deps

router = APIRouter(tags=["events"])


class Unavailable(DomainError):
    status = 503
    title = "Service unavailable"


class NotAcceptable(DomainError):
    status = 406
    title = "Not acceptable"


def require_stream(request: Request) -> None:
    if not sse.accepts_stream(request.headers.get("accept")):
        raise NotAcceptable("this is an event stream: send 'Accept: text/event-stream'", field="accept")


def broker_of(request: Request) -> Broker:
    events = deps(request).events
    if not isinstance(events, Broker):
        raise Unavailable("live events are not available in this process")
    return events


def staff_topics(
    request: Request,
    c: CallerDep,
    tenant: Annotated[str | None, Query(max_length=40, description="also follow this tenant's board")] = None,
    interaction: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="also follow this conversation (needs tenant)")
    ] = None,
) -> list[str]:
    # A sync dependency: the checks read the database, so they run in the thread pool, not on the loop.
    return conversations.follow_topics(deps(request), c.principal, tenant, interaction)


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "an endless stream of events"}},
)
async def events(
    request: Request,
    topics: Annotated[list[str], Depends(staff_topics)],
    last_event_id: Annotated[str | None, Query(max_length=20, description="resume after this event id")] = None,
    last_event_id_header: Annotated[str | None, Header(alias="Last-Event-ID", max_length=20)] = None,
) -> StreamingResponse:
    """Server-sent events: `agent:{me}` always; `tenant:{id}` with ?tenant=; `interaction:{id}` with
    ?tenant=&interaction= for its agents and the tenant's supervisors. A heartbeat comment every 15 s.
    An id too old (or from before a restart) gets one `reset` event: reload state from the API.
    Ask for it with `Accept: text/event-stream` (EventSource does); anything else is a 406."""
    require_stream(request)
    broker = broker_of(request)
    resume = sse.parse_last_event_id(last_event_id_header, last_event_id)
    subscription = broker.subscribe(topics, resume)
    body: Any = sse.stream(subscription, request.is_disconnected)
    return StreamingResponse(cast(Any, body), media_type=sse.MEDIA_TYPE, headers=sse.HEADERS)
