"""Bearer API-key authentication: finds the merchant once and puts it on the request."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from postpurchase.services import api_key_authenticate


class ApiClient:
    """The authenticated principal of an API request: a merchant's key, not a person."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, api_key):
        self.api_key = api_key
        self.merchant = api_key.merchant

    def __str__(self):
        return f"api-key:{self.api_key.prefix}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Authorization header must be 'Bearer <api key>'."
            )
        try:
            raw = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Invalid API key.") from None
        key = api_key_authenticate(raw)
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        request._request.merchant = key.merchant
        return ApiClient(key), key

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) when the key is missing.
        return self.keyword


class HasMerchant(permissions.BasePermission):
    def has_permission(self, request, view):
        # Only an API key names the merchant. A signed-in dashboard session also put one
        # on the request (CurrentMerchantMiddleware), which let a browser's cookie call
        # the API without a key or a CSRF check, whatever the member's role.
        if not isinstance(request.user, ApiClient):
            return False
        request.merchant = request.user.merchant
        return True


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "postpurchase.api_auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A merchant API key."}
