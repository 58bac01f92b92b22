"""customers API (tenant-scoped, under /api/v1/tenants/{tenant}/...)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["customers"])
