"""A few views that exercise the shared error handling and authentication."""

import asyncio
import itertools
import threading
import weakref

from asgiref.sync import async_to_sync
from django.urls import path
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from common.asgi import on_close
from common.errors import Conflict
from common.permissions import IsCustomer
from common.request_id import current_request_id
from common.routers import Router
from common.urls import handler400, handler403, handler404, handler500, platform_urlpatterns  # noqa: F401
from common.viewsets import ViewSet


class EchoInput(serializers.Serializer):
    name = serializers.CharField(max_length=10)
    quantity = serializers.IntegerField(min_value=1)


class EchoView(APIView):
    permission_classes = [AllowAny]

    def post(self, request):
        serializer = EchoInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


class CrashView(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("secret internals must not leak")


class ConflictView(APIView):
    permission_classes = [AllowAny]

    def post(self, request):
        raise Conflict("Order is already accepted.", code="illegal_transition", details={"current": "accepted"})


class CustomerOnlyView(APIView):
    permission_classes = [IsCustomer]

    def get(self, request):
        return Response({"id": request.user.id, "user_type": request.user.user_type})


_threads = itertools.count(1)
_this_thread = threading.local()


class ThreadView(APIView):
    """Answers with a number naming the thread its sync code ran on (numbers are never reused, unlike
    thread ids); waits at `ThreadView.barrier` when one is set, after setting `ThreadView.entered`
    so a test knows the request holds its place before it sends others."""

    permission_classes = [AllowAny]
    barrier = None
    entered = threading.Event()

    def get(self, request):
        if not hasattr(_this_thread, "number"):
            _this_thread.number = next(_threads)
        if self.barrier is not None:
            self.entered.set()
            self.barrier.wait(timeout=5)
        return Response({"thread": _this_thread.number})


async def things_events(request):
    """A live stream as the services serve theirs: an async view whose response streams until the
    test lets it end (`things_events.done`); `things_events.requests` holds a weak reference to each
    request it served."""
    from django.http import StreamingHttpResponse

    things_events.requests.append(weakref.ref(request))

    async def events():
        yield b"event: snapshot\ndata: {}\n\n"
        await things_events.done.wait()

    return StreamingHttpResponse(events(), content_type="text/event-stream")


things_events.requests = []


def closing(request):
    """An ordinary response that notes where its close() ran (`closing.closed_on`)."""
    from django.http import JsonResponse

    response = JsonResponse({"received": len(request.body)})
    on_close(response, lambda: closing.closed_on.append(threading.current_thread()))
    return response


closing.closed_on = []


async def things_events_watched(request):
    """A stream that notes when it ended (`things_events_watched.ended`): a client that hangs up must end it."""
    from django.http import StreamingHttpResponse

    async def events():
        try:
            yield b"event: snapshot\ndata: {}\n\n"
            await asyncio.Event().wait()
        finally:
            things_events_watched.ended.set()

    return StreamingHttpResponse(events(), content_type="text/event-stream")


class ThingViewSet(ViewSet):
    """The fast paths' test routes (tests/test_fast_paths.py): each action hands over to its answer."""

    permission_classes = [AllowAny]
    serializer_class = EchoInput
    lookup_url_kwarg = "thing_id"

    def create(self, request):
        return thing_made(request, self.validated())

    def list(self, request):
        return async_to_sync(things_seen)(request, None)

    def update(self, request, thing_id: str):
        return thing_put(request, self.validated(), thing_id=thing_id)

    def partial_update(self, request, thing_id: str):
        return thing_patched(request, self.validated(partial=True), thing_id=thing_id)

    def destroy(self, request, thing_id: str):
        return thing_broken(request, None, thing_id=thing_id)


def thing_made(request, data: dict):
    return Response(data, status=201)


async def things_seen(request, data: None):
    return Response({"request_id": current_request_id.get(), "thread": threading.current_thread().name})


def thing_put(request, data: dict, *, thing_id: str):
    """Answers with the request id its logs carry and the name of the thread it ran on."""
    return Response({"request_id": current_request_id.get(), "thread": threading.current_thread().name})


def thing_patched(request, data: dict, *, thing_id: str):
    """An answer that notes where its close() ran (`closing.closed_on`)."""
    response = Response(data)
    on_close(response, lambda: closing.closed_on.append(threading.current_thread()))
    return response


def thing_broken(request, data: None, *, thing_id: str):
    raise RuntimeError("secret internals must not leak")


things = Router()
things.register("things", ThingViewSet, basename="thing")

urlpatterns = [
    *platform_urlpatterns,
    path("echo", EchoView.as_view()),
    path("crash", CrashView.as_view()),
    path("conflict", ConflictView.as_view()),
    path("customer-only", CustomerOnlyView.as_view()),
    path("thread", ThreadView.as_view()),
    path("things/events", things_events),
    path("watched/events", things_events_watched),
    path("closing", closing),
    # After `things/events`, which the router's `things/{thing_id}` would take.
    *things.urls,
]
