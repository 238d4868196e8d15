"""Public tracking pages: the order page, the merchant's order lookup, clicks, ratings, theme CSS."""

import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django import forms
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_POST

from postpurchase import limits, ratelimit
from tracking import cache as page_cache
from tracking import headers, rendering, selectors, services
from tracking.theme import theme_from_query
from tracking.visitors import client_address_key, client_hash, is_counted_visitor, page_view

LOOKUP_LIMIT = 10  # attempts per client per window
LOOKUP_WINDOW = 15 * 60
RATING_LIMIT = 20  # per order per hour


def _private(response, *, image_origins=()) -> HttpResponse:
    response["Content-Security-Policy"] = headers.csp(image_origins)
    for name, value in headers.PRIVATE:
        response[name] = value
    return response


def _not_found(request) -> HttpResponse:
    return _private(render(request, "tracking/not_found.html", status=404))


@dataclass(frozen=True)
class PageLookup:
    """The cache's answer for one request of /t/<key>/ (a CachedPage, BLOCKED, MISS or
    UNAVAILABLE); on a hit the visit is already buffered."""

    key: str
    lang: str
    view: object  # visit_buffer.PageView, or None when the view is not counted
    found: object


def page_lookup(request, key: str) -> PageLookup:
    view = page_view(request)
    lang = request.GET.get("lang", "")
    lang = lang if lang in rendering.LANGUAGE_CODES else ""
    found = page_cache.UNAVAILABLE
    if request.method in ("GET", "HEAD") and len(key) <= selectors.TOKEN_MAX_LENGTH:
        found = page_cache.page_hit(
            token=key,
            lang=lang,
            now=view.at if view else time.time(),
            visit=view,
            block_key=cache.make_key(limits.token_probe_block_key(request)),
        )
    return PageLookup(key=key, lang=lang, view=view, found=found)


def cached_page_response(lookup: PageLookup) -> HttpResponse | None:
    """The response the cache alone decides (a page without a form, or a blocked client's
    refusal), else None. For tracking/middleware.py, which runs before the CSRF middleware."""
    found = lookup.found
    if isinstance(found, page_cache.CachedPage) and not _needs_csrf_token(found.page):
        return _page_response(None, found)
    if found == page_cache.BLOCKED:
        return limits.token_probe_refusal()
    return None


@limits.checks_token_probe_block
@csrf_protect
def tracking_entry(request, key: str):
    """/t/<key>/: a tracking token shows the order; a merchant slug shows the lookup form.

    A page in the cache is served without SQL, in one Redis step that also
    refuses a client blocked for guessing tokens and buffers the visit (a GET is
    looked up by tracking/middleware.py already). Every other miss does the same
    two lookups as a slug hit, so response time says nothing about how close a
    guessed token was.
    """
    lookup = getattr(request, "tracking_page_lookup", None)
    if lookup is None or lookup.key != key:
        lookup = page_lookup(request, key)
    found = lookup.found
    if isinstance(found, page_cache.CachedPage):
        return _page_response(request, found)
    if found == page_cache.BLOCKED or (
        found == page_cache.UNAVAILABLE and limits.token_probe_blocked(request)
    ):
        return limits.token_probe_refusal()
    ids = selectors.order_ids_by_token(key)
    if ids is not None:
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return _order_page(
            request,
            key,
            lang=lookup.lang,
            ids=ids,
            view=lookup.view,
            redis_up=found != page_cache.UNAVAILABLE,
        )
    merchant = selectors.merchant_by_slug(key)
    if merchant is None:
        return _not_found(request)
    return _lookup(request, merchant)


def _order_page(request, token: str, *, lang: str, ids, view, redis_up=True) -> HttpResponse:
    order_id, merchant_id, customer_id = ids
    # Versions first: a change committed after this read shows up as a newer version.
    # Redis that just failed is not asked again: a hung one would cost each call its timeout.
    versions = (
        page_cache.versions(order_id=order_id, merchant_id=merchant_id, customer_id=customer_id)
        if redis_up
        else None
    )
    order = selectors.order_by_token(token)
    if order is None:  # deleted or erased a moment ago
        return _not_found(request)
    cached = rendering.page_for_token(order, token=token, lang=lang, ids=ids, versions=versions)
    if view is not None:
        services.visit_record(
            merchant=order.merchant,
            order=order,
            view=view,
            shown=cached.page.slots,
            buffer=redis_up,
        )
    return _page_response(request, cached)


def _needs_csrf_token(page) -> bool:
    # Only the rating form (after delivery) posts back; other pages set no CSRF cookie,
    # which spares every view the token's randomness and a Set-Cookie header.
    return page.csrf_placeholder in page.html


def _page_response(request, cached) -> HttpResponse:
    page = cached.page
    html = page.html
    if _needs_csrf_token(page):
        html = html.replace(page.csrf_placeholder, get_token(request))
    return HttpResponse(html, headers=cached.headers)


class LookupForm(forms.Form):
    number = forms.CharField(label=_("Order number"), max_length=50)
    contact = forms.CharField(
        label=_("Email or postal code"),
        max_length=254,
        help_text=_("The email address you ordered with, or your delivery postal code."),
    )


def _lookup(request, merchant) -> HttpResponse:
    locale = request.GET.get("lang") or merchant.default_locale
    locale = locale if locale in rendering.LANGUAGE_CODES else "en"
    status, error = 200, ""
    form = LookupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        verdict = ratelimit.hit(
            f"tracking-lookup:{client_address_key(request)}",
            limit=LOOKUP_LIMIT,
            window=LOOKUP_WINDOW,
        )
        with translation.override(locale):
            if not verdict.allowed:
                status, error = (
                    429,
                    _("Too many attempts. Please wait a few minutes and try again."),
                )
            elif form.is_valid():
                order = services.order_lookup(
                    merchant=merchant,
                    number=form.cleaned_data["number"],
                    contact=form.cleaned_data["contact"],
                )
                if order is not None:
                    target = reverse("tracking:page", kwargs={"key": order.tracking_token})
                    return _private(
                        HttpResponseRedirect(f"{target}?src=lookup&lang={order.locale}")
                    )
                status = 400
                error = _(
                    "We couldn't find an order with those details. Check the order number in "
                    "your confirmation email and try again."
                )
            else:
                status = 400
    elif request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    with translation.override(locale):
        context = rendering.lookup_context(merchant, locale=locale, form=form, error=error)
        response = render(request, "tracking/lookup.html", context, status=status)
    if status == 429:
        response["Retry-After"] = str(verdict.retry_after)
    return _private(response)


@require_GET
def crosssell_click(request, token: str, product_id: int, slot: int):
    """Record the click, then send the buyer to the product's stored URL with attribution.

    The target is never taken from the request: only a product of this order's
    merchant, by id, so this cannot be used as an open redirect.
    """
    order = selectors.order_by_token(token)
    if order is None:
        return _not_found(request)
    slot = min(slot, 99)
    product = selectors.clickable_product(order=order, product_id=product_id)
    target = rendering.safe_url(product.url) if product else ""
    if not target or target.startswith("/"):
        return _not_found(request)
    if is_counted_visitor(request):
        services.crosssell_click_record(
            merchant=order.merchant,
            order=order,
            product=product,
            slot=slot,
            client_hash=client_hash(request),
        )
    return _private(HttpResponseRedirect(with_attribution(target, slot=slot)))


def with_attribution(url: str, *, slot: int) -> str:
    parts = urlsplit(url)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.startswith("utm_")
    ]
    query += [
        ("utm_source", "postpurchase"),
        ("utm_medium", "tracking_page"),
        ("utm_campaign", "cross_sell"),
        ("utm_content", f"slot_{slot}"),
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


class RatingForm(forms.Form):
    score = forms.IntegerField(min_value=1, max_value=5)
    comment = forms.CharField(required=False, max_length=2000)


@require_POST
@csrf_protect
def rating_submit(request, token: str):
    order = selectors.order_by_token(token)
    if order is None:
        return _not_found(request)
    form = RatingForm(request.POST)
    page = reverse("tracking:page", kwargs={"key": order.tracking_token})
    lang = request.POST.get("lang", "")
    lang_query = f"?lang={lang}" if lang in rendering.LANGUAGE_CODES else ""
    back = _private(HttpResponseRedirect(f"{page}{lang_query}#rating"))
    # Ratings come after delivery; a burst from one link is not a buyer (each one
    # also goes out as a webhook).
    verdict = ratelimit.hit(f"tracking-rating:{order.pk}", limit=RATING_LIMIT, window=3600)
    if not form.is_valid() or not verdict.allowed or not selectors.order_is_delivered(order):
        return back
    services.rating_submit(
        merchant=order.merchant,
        order=order,
        score=form.cleaned_data["score"],
        comment=form.cleaned_data["comment"],
    )
    return back


@require_GET
@cache_control(public=True, max_age=31536000, immutable=True)
def theme_css(request):
    """The merchant's colours as CSS variables, generated from validated numbers only.

    A pure function of its URL, so it is cached for a year; the page links it with
    the colours in the query string, which also makes the preview of unsaved
    branding work without storing anything.
    """
    theme = theme_from_query(request.GET.get("c", ""), request.GET.get("f", ""))
    css = f":root{{{theme.css_variables}}}\n"
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    return response
