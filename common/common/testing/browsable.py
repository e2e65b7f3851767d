"""Reading DRF's browsable pages in tests: which fields a page's HTML form offers."""

from __future__ import annotations

import re

HTML = {"Accept": "text/html"}


def form_fields(page: str, form_id: str) -> set[str]:
    """The input names of the form with this id (`post-object-form`, `put-object-form`), without
    the CSRF token; empty when the page has no such form."""
    if f'id="{form_id}"' not in page:
        return set()
    form = page.split(f'id="{form_id}"', 1)[1].split("</form>", 1)[0]
    return set(re.findall(r'name="([A-Za-z0-9_.]+)"', form)) - {"csrfmiddlewaretoken"}
