#!/bin/sh
# serve: create the service's indexes (idempotent), then run it under uvicorn (ASGI).
# indexes: only create the indexes (a Kubernetes init container or job).
set -eu
case "${1:-serve}" in
  indexes)
    # As an init container it may start before MongoDB: wait for it rather than crash-loop.
    exec python manage.py ensure_indexes --wait "${INDEXES_WAIT_S:-300}" ;;
  serve)
    if [ "${ENSURE_INDEXES_ON_START:-true}" = "true" ]; then python manage.py ensure_indexes; fi
    exec uvicorn "${SERVICE_MODULE}.asgi:application" --host 0.0.0.0 --port "${PORT}" \
      --workers "${WEB_CONCURRENCY:-1}" --no-access-log --lifespan on --timeout-graceful-shutdown 20 \
      --no-proxy-headers --no-server-header \
      --timeout-worker-healthcheck "${WORKER_HEALTHCHECK_TIMEOUT_S:-30}" --timeout-keep-alive "${KEEP_ALIVE_S:-75}" \
      --backlog "${LISTEN_BACKLOG:-4096}" ;;
    # The lifespan starts and stops the service's background loops (common/background.py).
    # Forwarded headers are Django's business (TRUSTED_PROXY_HOPS); no Server banner. With several
    # workers, uvicorn kills one that has not answered its supervisor's ping for this long: its
    # default (5 s) killed busy gateway workers, and their thousands of open streams with them.
    # An idle keep-alive connection is kept longer than any client here reuses one (30 s) and
    # than a load balancer in front does (60 s is usual): whoever closes first must be the client,
    # or a request sent as the server closes is lost. The accept queue is as long as the kernel
    # allows (somaxconn): a reconnect storm's connects overflowed uvicorn's default of 2,048.
  *)
    exec "$@" ;;
esac
