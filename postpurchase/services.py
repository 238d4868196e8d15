"""Business actions of the tenancy core: merchants, memberships and API keys."""

import hmac

from django.db import transaction
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
    key = (
        ApiKey.objects.unscoped()
        .select_related("merchant")
        .filter(prefix=parts[1], revoked_at__isnull=True, merchant__is_active=True)
        .first()
    )
    if key is None or not hmac.compare_digest(key.hashed_key, hash_secret(raw)):
        return None
    now = timezone.now()
    # Record use at most once a minute: a write per request would cost ingestion speed.
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.all_merchants.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


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
