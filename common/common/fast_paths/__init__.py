"""Fast paths: a hot route's requests answered before Django's handler, by the rules of its own view.

On the platform's hottest requests, Django's ASGI handler around the view costs more than the
view's work: the request's thread context, the hops to a thread and back, the middleware chain,
DRF's dispatch. A fast path is an ASGI application in front of the handler
(`FastPath`) that answers the requests of a few routes itself and hands every other one to Django.

What every fast path keeps of Django's path (the envelope, one implementation for the services and
the gateway): the process's in-flight limit (a process at it hands the request to Django, whose
middleware sheds it), the request id (the caller's if tame, else a new one, in the logs while the
answer works), the security headers (the services' middleware's own, worked out once per scheme)
and the request's metric or log line. `MIDDLEWARE` may hold only middleware the envelope stands in
for (`stands_in_for`): with any other (tracing's, say) a fast path is not installed (`in_front_of`).

What a service's fast path (`FastRoutes`) takes of its DRF view, found by Django's resolver: the
content negotiation (only what the view would answer in plain JSON is taken), the parser, the
authenticators, the permissions, the serializer that validates the body (`validated_data`), the
renderer, `finalize_response` (`Vary`, `Allow`) and the exception handler. Between validation and
rendering it calls the answer the view itself hands over to (`FAST_ROUTES`): one function, the
view's body, so that nothing of a route is written twice. A sync answer runs on a thread of the
pool, an async one on the event loop.

What it declines reaches Django's handler with the request as it came (the message read is
replayed): a route not given, a body not whole in one message or over the limit, a repeated header
(Django joins them), and anything the view would not answer with the answer: a page, a form, a
missing or refused token, a body that does not parse or validate. Once the answer was called it is
never left to Django (a placement would be stored twice): a failure is the exception handler's.
docs/architecture/fast-paths.md tells how to add one and how their equivalence with Django's path is tested.
"""

from common.fast_paths.envelope import Declined, FastPath, replaying
from common.fast_paths.routes import FastRoutes, in_front_of
from common.fast_paths.threads import blocking

__all__ = ["Declined", "FastPath", "FastRoutes", "blocking", "in_front_of", "replaying"]
