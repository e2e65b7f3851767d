# syntax=docker/dockerfile:1.7
# One image recipe for every service: docker build --build-arg SERVICE=order_service -t fd-order .
ARG PYTHON_IMAGE=python:3.11.7-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG SERVICE
RUN test -n "$SERVICE" || (echo "--build-arg SERVICE=<name>_service is required" && false)
WORKDIR /build
COPY requirements.lock ./
COPY common/ common/
COPY ${SERVICE}/requirements.txt service-requirements.txt
# common (with the dependencies its pyproject declares) and the service's own list, all pinned by
# the lock; common is installed as a normal package, not editable.
RUN python -m venv /venv \
 && grep -v '^-e ' service-requirements.txt > direct.txt \
 && /venv/bin/pip install --no-cache-dir -c requirements.lock ./common -r direct.txt

FROM ${PYTHON_IMAGE}
ARG SERVICE
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/venv/bin:$PATH \
    SERVICE_MODULE=${SERVICE} \
    PORT=8000 \
    PRODUCTION=true
RUN groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app --home-dir /app app
COPY --from=build /venv /venv
COPY docker/entrypoint.sh /usr/local/bin/entrypoint
WORKDIR /app
COPY ${SERVICE}/ /app/
# The gateway's pages' assets under their content-hashed names (gateway_service/pages/staticfiles.py);
# settings are read here without the production secrets, which only the running process needs.
RUN if [ -d pages ]; then PRODUCTION=false STATIC_ROOT=/app/.static python manage.py collectstatic --noinput -v 0; fi
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz', timeout=2)"
ENTRYPOINT ["entrypoint"]
CMD ["serve"]
