"""Who is signed in to the dashboard, for which merchant, with which role.

The middleware finds the membership once per request and puts `request.merchant`
and `request.membership` on it; views declare the roles they allow.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from postpurchase.models import Membership

SESSION_MERCHANT_KEY = "merchant_id"
SETTINGS_ROLES = (Membership.Role.OWNER, Membership.Role.ADMIN)
ALL_ROLES = (*SETTINGS_ROLES, Membership.Role.ACCOUNT_MANAGER)


def active_membership(request) -> Membership | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    memberships = (
        Membership.objects.unscoped(reason="the signed-in user's own memberships, any merchant")
        .select_related("merchant")
        .filter(user=user, is_active=True, merchant__is_active=True)
        .order_by("id")
    )
    chosen = request.session.get(SESSION_MERCHANT_KEY)
    if chosen is not None:
        membership = memberships.filter(merchant_id=chosen).first()
        if membership is not None:
            return membership
    return memberships.first()


class CurrentMerchantMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not hasattr(request, "merchant"):
            membership = active_membership(request)
            request.membership = membership
            request.merchant = membership.merchant if membership else None
        return self.get_response(request)


def merchant_required(*roles):
    """Allow signed-in members of a merchant with one of `roles` (default: any role).

    Not signed in: redirect to sign-in. Signed in without the role: 403. The view runs
    in the merchant's time zone.
    """
    allowed = roles or ALL_ROLES

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = getattr(request, "membership", None)
            if membership is None or membership.role not in allowed:
                raise PermissionDenied
            # Every time on a dashboard screen is the merchant's local time.
            with timezone.override(membership.merchant.tzinfo):
                return view(request, *args, **kwargs)

        return wrapped

    return decorator
