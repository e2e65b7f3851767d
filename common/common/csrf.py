"""Makes the CSRF tokens a service renders match the browser's `csrftoken` cookie.

The gateway signs browsers in and checks CSRF on unsafe requests that ride on its session cookie
(gateway edge/browser_sessions.py). The forms of DRF's browsable pages are rendered by the services,
with `{% csrf_token %}`: reading the cookie the gateway set (as Django's CsrfViewMiddleware would)
makes those tokens ones the gateway accepts. Nothing is enforced here: services answer bearer
tokens only, and a bearer request cannot be forged by another site.
"""

from __future__ import annotations

from django.middleware.csrf import CsrfViewMiddleware

from common.middleware import HybridMiddleware


class CsrfCookieMiddleware(HybridMiddleware):
    def __init__(self, get_response):
        super().__init__(get_response)
        self.csrf = CsrfViewMiddleware(lambda _request: None)  # only asked to read the cookie

    def before(self, request):
        self.csrf.process_request(request)
