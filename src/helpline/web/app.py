"""The FastAPI application: API under /api/v1 (OpenAPI at /docs) and the pages."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from helpline import __version__
from helpline.bootstrap import Container, build
from helpline.web import errors
from helpline.web.routes import (
    api_admin,
    api_agents,
    api_cases,
    api_chat,
    api_customers,
    api_events,
    api_forecasts,
    api_interactions,
    api_queues,
    api_routing,
    api_schedules,
    api_simulation,
    api_staffing,
    chat_pages,
    pages,
    pages_live,
    pages_schedule,
    pages_staffing,
    pages_whatif,
    pages_workforce,
)
from helpline.workers import chat_watch, router_clock

API_MODULES = (
    api_admin,
    api_customers,
    api_interactions,
    api_cases,
    api_queues,
    api_routing,
    api_agents,
    api_events,
    api_staffing,
    api_forecasts,
    api_schedules,
    api_simulation,
)
# Workforce pages (staffing calculator, forecast and plan, schedule and intraday, what-if).
WORKFORCE_PAGES = (pages_staffing, pages_workforce, pages_schedule, pages_whatif)
# Loops that run while the server runs (not under TestClient without `with`: tests drive them by hand).
WORKERS = (router_clock, chat_watch)

STATIC = Path(__file__).parent / "static"


def create_app(container: Container | None = None) -> FastAPI:
    container = container or build()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The router is rebuilt from the database before the first request (decision 0005).
        if container.deps.routing is not None:
            await asyncio.to_thread(container.deps.routing.load)
        # Everything loaded so far (modules, metadata, the router) lives as long as the process:
        # freezing it keeps the collector's full passes short, which is where latency spikes of
        # 100 ms and more came from under chat load (bench/chat_load.py).
        gc.collect()
        gc.freeze()
        tasks = [asyncio.create_task(worker.run(container), name=worker.__name__) for worker in WORKERS]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    app = FastAPI(
        lifespan=lifespan,
        title="Helpline API",
        version=__version__,
        description="Contact-center platform with a built-in CRM. Every error is application/problem+json.",
        docs_url="/docs",
        openapi_url="/openapi.json",
        redoc_url=None,
    )
    app.state.container = container
    errors.install(app)
    app.add_middleware(errors.BodySizeLimit, max_bytes=container.settings.max_request_bytes)
    for module in API_MODULES:
        app.include_router(module.router, prefix="/api/v1")
    # The public chat API is reached from clients' own sites (CORS, no cookies): see api_chat.
    app.include_router(api_chat.router, prefix="/api/v1")
    app.include_router(chat_pages.router)
    app.include_router(pages_live.router)
    for module in WORKFORCE_PAGES:
        app.include_router(module.router)
    app.include_router(pages.router)  # last: it ends with a catch-all under /t/{tenant}/
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
