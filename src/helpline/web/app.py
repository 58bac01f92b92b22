"""The FastAPI application: API under /api/v1 (OpenAPI at /docs) and the pages."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from helpline import __version__
from helpline.bootstrap import Container, build
from helpline.web import errors
from helpline.web.routes import api_admin, api_cases, api_customers, api_interactions, api_queues, pages

STATIC = Path(__file__).parent / "static"


def create_app(container: Container | None = None) -> FastAPI:
    container = container or build()
    app = FastAPI(
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
    for module in (api_admin, api_customers, api_interactions, api_cases, api_queues):
        app.include_router(module.router, prefix="/api/v1")
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
