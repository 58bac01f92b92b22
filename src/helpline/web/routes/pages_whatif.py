"""(stub: being written) Workforce-management pages."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from helpline.web.routes.pages import PageRoute, mark_page

router = APIRouter(include_in_schema=False, route_class=PageRoute, dependencies=[Depends(mark_page)])
