"""Liveness (`/healthz`) and readiness (`/readyz`) views shared by every service."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from common.mongo import get_client
from common.redis_client import get_redis


@require_GET
def healthz(request):
    return JsonResponse({"status": "ok", "service": settings.SERVICE_NAME})


def _check_mongo() -> str | None:
    try:
        get_client().admin.command("ping")
    except Exception as exc:  # any driver failure means "not ready"; the reason is reported
        return f"{type(exc).__name__}: {exc}"[:300]
    return None


def _check_redis() -> str | None:
    try:
        get_redis().ping()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:300]
    return None


CHECKS = {"mongodb": _check_mongo, "redis": _check_redis}


@require_GET
def readyz(request):
    results = {name: check() for name, check in CHECKS.items()}
    failures = {name: error for name, error in results.items() if error is not None}
    blocking = {name: error for name, error in failures.items() if name in settings.READINESS_REQUIRES}
    if blocking:
        return JsonResponse(
            {"error": {"code": "not_ready", "message": "Dependencies are unreachable.", "details": failures}},
            status=503,
            headers={"Retry-After": "5"},
        )
    checks = {name: ("ok" if error is None else f"degraded: {error}") for name, error in results.items()}
    return JsonResponse({"status": "ready", "service": settings.SERVICE_NAME, "checks": checks})
