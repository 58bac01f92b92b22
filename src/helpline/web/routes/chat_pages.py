"""A sample client web site per tenant (GET /chat-demo/{tenant}) that embeds the chat widget with its one script tag.

It stands in for a client's own shop page: the widget must work there exactly as it would on theirs,
under the same strict Content-Security-Policy as our own pages (no inline script or style).
"""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from helpline.domain.errors import NotFound
from helpline.services import chat
from helpline.web.dependencies import deps
from helpline.web.routes.pages import SECURITY_HEADERS

router = APIRouter(include_in_schema=False)
_templates = Environment(
    loader=FileSystemLoader(FilePath(__file__).resolve().parent.parent / "templates"),
    autoescape=select_autoescape(["html"]),
)


@router.get("/chat-demo/{tenant}", response_class=HTMLResponse)
def chat_demo(request: Request, tenant: Annotated[str, Path(max_length=40)]) -> HTMLResponse:
    try:
        config = chat.chat_config(deps(request), tenant)
    except NotFound:
        page = _templates.get_template("chat_demo.html").render(company=None, tenant=None, topics=[])
        return HTMLResponse(page, status_code=404, headers=SECURITY_HEADERS)
    page = _templates.get_template("chat_demo.html").render(
        company=config["name"], tenant=config["tenant"], topics=config["topics"]
    )
    return HTMLResponse(page, headers=SECURITY_HEADERS)
