"""Thin HTTP shell: API routes and pages that call services."""
