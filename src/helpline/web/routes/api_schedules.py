"""(stub: being written) JSON API routes for workforce management."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
