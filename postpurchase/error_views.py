"""Error pages (400, 403, CSRF failure, 404, 500): branded, translated, safe under the CSP.

A buyer's URL (a tracking or unsubscribe link) gets the neutral page buyers know from
the tracking page: the merchant is unknown there. The API answers in its JSON error
shape. Everyone else gets the Postpurchase look with a way back to the dashboard.
Nothing here touches the database, so the 500 page renders even when it is down.
"""

from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

BUYER_PREFIXES = ("/t/", "/n/")
API_PREFIX = "/api/"

MESSAGES = {
    400: (
        _("This request could not be read"),
        _("Something in the address or the form was not as expected. Go back and try again."),
    ),
    403: (
        _("You don't have access to this page"),
        _("Sign in with an account of this shop, or ask its owner to give you access."),
    ),
    "csrf": (
        _("This form has expired"),
        _("For your security a form works for a limited time. Reload the page and send it again."),
    ),
    404: (
        _("We can't find this page"),
        _("The address may be mistyped, or the page has moved."),
    ),
    500: (
        _("Something went wrong on our side"),
        _("We have been told and are looking into it. Please try again in a few minutes."),
    ),
}
BUYER_MESSAGES = {
    404: (
        _("We can't find this page"),
        _(
            "The tracking link may be incomplete. "
            "Open it again from your order email or text message."
        ),
    ),
}
API_MESSAGES = {
    400: "Bad request.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    500: "Internal error; nothing was saved.",
}


def _error_page(request, status: int, kind=None) -> HttpResponse:
    path = request.path if request is not None else ""
    if path.startswith(API_PREFIX):
        return JsonResponse({"errors": {"detail": [API_MESSAGES[status]]}}, status=status)
    buyer = path.startswith(BUYER_PREFIXES)
    title, detail = (BUYER_MESSAGES if buyer else {}).get(status) or MESSAGES[kind or status]
    template = "errors/buyer.html" if buyer else "errors/merchant.html"
    html = render_to_string(template, {"status": status, "title": title, "detail": detail})
    response = HttpResponse(html, status=status)
    response["Cache-Control"] = "no-store"
    return response


def bad_request(request, exception=None):
    return _error_page(request, 400)


def permission_denied(request, exception=None):
    return _error_page(request, 403)


def csrf_failure(request, reason=""):
    return _error_page(request, 403, kind="csrf")


def page_not_found(request, exception=None):
    return _error_page(request, 404)


def server_error(request):
    return _error_page(request, 500)
