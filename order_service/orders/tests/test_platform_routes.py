"""The platform routes every service serves (shared tests, run here against this service)."""

from common.testing.platform_routes import *  # noqa: F403
