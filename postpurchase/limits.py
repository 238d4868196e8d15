"""Limits that keep one client from hurting the service or a merchant's bill.

Request bodies are capped before anything reads them, JSON is refused when it
nests deeper than any real payload, API keys have a per-merchant quota. The SMS
daily caps per merchant and per phone number (a leaked key must not be able to pump
SMS to premium numbers) are counted from the touchpoints, so they live with them:
notifications/selectors.py:sms_quota_refusal. All figures are settings with generous
defaults.
"""

import logging

from django.conf import settings
from django.http import JsonResponse
from rest_framework import parsers, throttling
from rest_framework.exceptions import ParseError

from postpurchase import ratelimit
from postpurchase.client_ip import client_ip

logger = logging.getLogger(__name__)

MAX_JSON_DEPTH = 32


def _max_body_bytes() -> int:
    return settings.API_MAX_BODY_BYTES


class BodySizeLimitMiddleware:
    """413 for any non-form body over API_MAX_BODY_BYTES, before a view reads it.

    Django's DATA_UPLOAD_MAX_MEMORY_SIZE covers form posts only; JSON API and
    webhook bodies would otherwise be read whole into memory. Multipart uploads
    keep Django's own limits (files stream to disk).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        content_type = request.META.get("CONTENT_TYPE", "")
        if not content_type.startswith("multipart/form-data"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = -1
            limit = _max_body_bytes()
            if length < 0 or length > limit:
                message = (
                    f"Request body too large: at most {limit} bytes are accepted."
                    if length > limit
                    else "Content-Length is not a number."
                )
                return JsonResponse(
                    {"errors": {"detail": [message]}}, status=413 if length > limit else 400
                )
        return self.get_response(request)


def token_probe_block_key(request) -> str:
    """The cache key that marks this client as refused for guessing tokens."""
    return f"token-probe-block:{client_ip(request)}"


def token_probe_blocked(request) -> bool:
    from django.core.cache import cache

    try:
        return bool(cache.get(token_probe_block_key(request)))
    except Exception:  # a cache outage must not take public pages down
        return False


def token_probe_refusal() -> JsonResponse:
    response = JsonResponse(
        {"errors": {"detail": ["Too many requests for unknown links. Try again later."]}},
        status=429,
    )
    response["Retry-After"] = str(settings.TOKEN_PROBE_WINDOW)
    return response


def checks_token_probe_block(view):
    """Mark a view that refuses blocked clients itself (`token_probe_blocked`, or the same
    key read inside a Redis step it takes anyway); the middleware then skips its lookup.

    The tracking page's cache hit does (#10): one Redis round trip instead of two.
    """
    view.checks_token_probe_block = True
    return view


class TokenProbeThrottleMiddleware:
    """429 for a client that keeps guessing tokens in public links.

    Tracking pages, unsubscribe and ambassador links are public and authorised
    by a random token. 192 bits cannot be guessed, but a client collecting 404s
    on those URLs is probing, so after TOKEN_PROBE_LIMIT misses in
    TOKEN_PROBE_WINDOW seconds it is refused for the rest of the window. Buyers
    opening their own links (200s) are never counted.

    The refusal is decided before the view runs (`process_view`), or, for a path
    no view answers, before its 404 is returned.
    """

    PREFIXES = ("/t/", "/n/u/", "/calls/endorse/", "/calls/ambassador/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(self.PREFIXES):
            return self.get_response(request)
        response = self.get_response(request)
        if not getattr(request, "token_probe_checked", False) and token_probe_blocked(request):
            return token_probe_refusal()
        if response.status_code == 404:
            self._count_miss(request)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.path.startswith(self.PREFIXES):
            return None
        request.token_probe_checked = True
        if getattr(view_func, "checks_token_probe_block", False):
            return None
        return token_probe_refusal() if token_probe_blocked(request) else None

    @staticmethod
    def _count_miss(request) -> None:
        from django.core.cache import cache

        client = client_ip(request)
        window = settings.TOKEN_PROBE_WINDOW
        verdict = ratelimit.hit(
            f"token-probe:{client}",
            limit=settings.TOKEN_PROBE_LIMIT,
            window=window,
        )
        if not verdict.allowed:
            try:
                cache.set(token_probe_block_key(request), 1, timeout=window)
            except Exception:
                logger.warning("token-probe block not stored: cache unavailable")


def json_text_problem(value) -> str:
    """Why PostgreSQL could not store this JSON's text, or "".

    NUL characters and unpaired surrogates are valid JSON escapes but not valid
    text in PostgreSQL, so storing them (a raw webhook payload, a name) would be a
    500. Callers refuse them up front with a clear message instead.
    """
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str):
            if "\x00" in node:
                return "Text may not contain NUL characters."
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return "Text may not contain unpaired surrogate characters."
    return ""


def _depth_exceeds(value, limit: int) -> bool:
    # Iterative walk: a recursive one would fail on exactly the inputs it guards against.
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, plus a clear 400 for absurdly nested documents.

    The standard library raises RecursionError (not ValueError) on very deep
    nesting, which DRF would turn into a 500.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON nested too deeply (at most {MAX_JSON_DEPTH} levels).") from None
        if _depth_exceeds(data, MAX_JSON_DEPTH):
            raise ParseError(f"JSON nested too deeply (at most {MAX_JSON_DEPTH} levels).")
        problem = json_text_problem(data)
        if problem:
            raise ParseError(problem)
        return data


class MerchantApiThrottle(throttling.BaseThrottle):
    """Per-merchant API quota: API_RATE_LIMIT requests per API_RATE_WINDOW seconds.

    DRF answers a refusal with 429 and Retry-After. Requests without a merchant
    (no key) are not counted: they are refused with 401 before this runs.
    """

    def allow_request(self, request, view):
        merchant = getattr(request._request, "merchant", None)
        if merchant is None:
            return True
        window = settings.API_RATE_WINDOW
        verdict = ratelimit.hit(f"api:{merchant.pk}", limit=settings.API_RATE_LIMIT, window=window)
        self._retry_after = verdict.retry_after
        return verdict.allowed

    def wait(self):
        return max(1, getattr(self, "_retry_after", 1))
