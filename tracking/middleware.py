"""A cached tracking page, served before the middleware it does not need (#10)."""

import re

from django.conf import settings

from postpurchase.middleware import PERMISSIONS_POLICY
from tracking import cache as page_cache
from tracking import views

# GET /t/<key>/, as tracking/urls.py routes it to views.tracking_entry (str: no slash).
TRACKING_ENTRY = re.compile(r"/t/([^/]+)/\Z")


class CachedTrackingPageMiddleware:
    """Answer GET /t/<token>/ from the cache right after the security and token-probe
    middleware, before sessions, locale, CSRF, auth and messages.

    A cached page reads no cookie or session, is in the language it was rendered
    in and carries its own headers; running those middleware cost a hit as much
    CPU as everything else it does. What they would add to any response is added
    here: X-Frame-Options, Permissions-Policy and Content-Length (SecurityMiddleware,
    in front, still adds its own), and the Host header is checked against
    ALLOWED_HOSTS as CommonMiddleware does. Anything else (a miss, a page with the rating form,
    which needs a CSRF token) goes on to the view with the lookup already made:
    the visit is buffered once.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.headers = (
            ("X-Frame-Options", settings.X_FRAME_OPTIONS),
            ("Permissions-Policy", PERMISSIONS_POLICY),
        )

    def __call__(self, request):
        match = TRACKING_ENTRY.match(request.path_info) if request.method == "GET" else None
        if match is None:
            return self.get_response(request)
        request.get_host()  # DisallowedHost (400) for a host not in ALLOWED_HOSTS
        lookup = views.page_lookup(request, match[1])
        request.tracking_page_lookup = lookup
        if lookup.found != page_cache.UNAVAILABLE:
            request.token_probe_checked = True  # the cache's Redis step checked the block
        response = views.cached_page_response(lookup)
        if response is None:
            return self.get_response(request)
        for name, value in self.headers:
            response.headers.setdefault(name, value)
        response.headers["Content-Length"] = str(len(response.content))  # as CommonMiddleware
        return response
