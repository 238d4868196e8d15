"""Business actions of the tenancy core: merchants, memberships and API keys."""

import copy
import hmac
import time
from datetime import date, tzinfo
from datetime import time as time_of_day
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from postpurchase.models import ApiKey, Branding, Membership, Merchant, User, hash_secret
from postpurchase.tenancy import get_for_merchant


@transaction.atomic
def merchant_create(
    *, name: str, slug: str, timezone_name: str = "UTC", owner_email: str = "", locale: str = "en"
) -> Merchant:
    merchant = Merchant(name=name, slug=slug, timezone=timezone_name, default_locale=locale)
    merchant.full_clean()
    merchant.save()
    Branding.objects.create(merchant=merchant, sender_name=name)
    if owner_email:
        email = owner_email.strip().lower()
        # A new owner gets an unusable password: they set one through a reset link.
        user = User.objects.filter(email=email).first() or User.objects.create_user(email)
        Membership.objects.create(merchant=merchant, user=user, role=Membership.Role.OWNER)
    return merchant


def api_key_create(
    *, merchant: Merchant, name: str, created_by: User | None = None
) -> tuple[ApiKey, str]:
    """Create a key and return it with its raw value, which is never stored or shown again."""
    prefix, raw = ApiKey.generate()
    key = ApiKey.objects.create(
        merchant=merchant,
        name=name,
        prefix=prefix,
        hashed_key=hash_secret(raw),
        created_by=created_by,
    )
    return key, raw


def api_key_revoke(*, merchant: Merchant, key_id: int) -> ApiKey:
    """Revoke one of `merchant`'s keys (404 for another merchant's). Revoking twice is fine."""
    key = get_for_merchant(ApiKey, merchant=merchant, pk=key_id)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def api_key_authenticate(raw: str) -> ApiKey | None:
    """The active key matching `raw`, or None. Compares the hash in constant time."""
    parts = raw.split("_")
    if len(parts) < 3 or parts[0] != "pp" or len(parts[1]) != ApiKey.PREFIX_LEN:
        return None
    key = _active_key_by_prefix(parts[1])
    if key is None or not hmac.compare_digest(key.hashed_key, hash_secret(raw)):
        return None
    now = timezone.now()
    # Record use at most once a minute: a write per request would cost ingestion speed.
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.for_merchant(key.merchant).filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
        entry = _KEYS.get(key.prefix)  # another thread may clear it meanwhile
        if entry is not None:
            _remember(key, until=entry[0])
    return key


# The active keys this process has seen, with their merchants, for API_KEY_CACHE_SECONDS:
# a query per API request was a tenth of an ingested order's time. Saving or deleting a
# key or a merchant empties it at once in the process that does it (signals below); the
# other processes see a revocation or a deactivated merchant within those seconds.
_KEYS: dict[str, tuple[float, tuple, tuple]] = {}


def _api_key_cache_seconds() -> float:
    return settings.API_KEY_CACHE_SECONDS


def _active_key_by_prefix(prefix: str) -> ApiKey | None:
    cached = _KEYS.get(prefix)
    if cached is not None and cached[0] > time.monotonic():
        _, key_values, merchant_values = cached
        key = ApiKey.from_db("default", _KEY_FIELDS, _copied(key_values))
        key.merchant = Merchant.from_db("default", _MERCHANT_FIELDS, _copied(merchant_values))
        return key
    key = (
        ApiKey.objects.unscoped(reason="the key names its merchant; nothing else is known yet")
        .select_related("merchant")
        .filter(prefix=prefix, revoked_at__isnull=True, merchant__is_active=True)
        .first()
    )
    if key is not None:
        _remember(key)
    return key


def _remember(key: ApiKey, *, until: float | None = None) -> None:
    # Copies: each request gets instances of its own, never one another request changed.
    _KEYS[key.prefix] = (
        until or time.monotonic() + _api_key_cache_seconds(),
        copy.deepcopy(tuple(getattr(key, name) for name in _KEY_FIELDS)),
        copy.deepcopy(tuple(getattr(key.merchant, name) for name in _MERCHANT_FIELDS)),
    )


def _copied(values: tuple) -> tuple:
    """Values another request cannot change: the mutable ones (a JSON field's dict or list)
    deep-copied, the rest (str, numbers, dates) shared. deepcopy of every value cost
    ~2% of an ingested order's CPU (#16)."""
    return tuple(
        value if isinstance(value, _IMMUTABLE) else copy.deepcopy(value) for value in values
    )


# date covers datetime (a subclass); all of these are immutable.
_IMMUTABLE = (str, int, float, bool, type(None), Decimal, date, time_of_day, tzinfo, UUID)
_KEY_FIELDS = [f.attname for f in ApiKey._meta.concrete_fields]
_MERCHANT_FIELDS = [f.attname for f in Merchant._meta.concrete_fields]


@receiver([post_save, post_delete], sender=ApiKey)
@receiver([post_save, post_delete], sender=Merchant)
def _forget_api_keys(**kwargs) -> None:
    # Now, and again after commit, so a request between the two cannot keep the old row.
    _KEYS.clear()
    transaction.on_commit(_KEYS.clear)


def audit_record(
    *,
    merchant: Merchant,
    actor: User | None,
    action: str,
    target: str = "",
    details: dict | None = None,
):
    """Append to the merchant's audit log. Never put secrets in `details`."""
    from postpurchase.models import AuditLogEntry

    return AuditLogEntry.objects.create(
        merchant=merchant, actor=actor, action=action, target=target, details=details or {}
    )
