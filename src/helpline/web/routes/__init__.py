"""Routers: one module per area of the API, plus the pages."""
