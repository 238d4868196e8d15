"""Security headers every response carries; the browser's middleware, which API calls skip."""

from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions

from postpurchase import dashboard_auth

DEFAULT_CSP = (
    "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=()"


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", DEFAULT_CSP)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


API_PREFIX = "/api/v1/"


def browser_only(middleware_class):
    """`middleware_class` for every request but the API's (/api/v1/).

    A Bearer-key JSON call has no use for a session, a signed-in user, the dashboard's
    merchant or flash messages: the key authenticates it (HasMerchant accepts nothing
    else). Running them cost each call ~2.5% of its CPU (#16). Only `__call__` (the
    request and response steps) is skipped. What the API does need stays on for it:
    security headers, CSRF (its views are csrf_exempt; `check --deploy` wants Django's
    own middleware), the Host check, Content-Length, the language.
    """

    class BrowserOnly(middleware_class):
        def __call__(self, request):
            if request.path_info.startswith(API_PREFIX):
                return self.get_response(request)
            return super().__call__(request)

    BrowserOnly.__name__ = BrowserOnly.__qualname__ = middleware_class.__name__
    BrowserOnly.__module__ = __name__
    return BrowserOnly


SessionMiddleware = browser_only(sessions.SessionMiddleware)
AuthenticationMiddleware = browser_only(auth.AuthenticationMiddleware)
CurrentMerchantMiddleware = browser_only(dashboard_auth.CurrentMerchantMiddleware)
MessageMiddleware = browser_only(messages.MessageMiddleware)
