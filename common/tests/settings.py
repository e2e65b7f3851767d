"""Settings for testing the shared library inside a minimal Django project."""

from common.settings_base import *  # noqa: F403

SERVICE_NAME = "common-tests"
ROOT_URLCONF = "tests.urls"
MONGO_DB_NAME = "common"
MONGO_INDEX_MODULES = ["tests.indexes"]
