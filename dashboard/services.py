"""Business actions behind the dashboard shell: branding, team, keys and notes."""

import io
import secrets

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from postpurchase.models import (
    BRANDING_FIELDS,
    MERCHANT_CONTACT_FIELDS,
    ApiKey,
    Branding,
    Membership,
    Merchant,
    User,
)
from postpurchase.services import api_key_create, api_key_revoke, audit_record

MAX_LOGO_BYTES = 2 * 1024 * 1024
MAX_LOGO_PIXELS = 25_000_000  # refuse decompression bombs before decoding
LOGO_BOX = (600, 200)
LOGO_FORMATS = {"PNG", "JPEG", "WEBP", "GIF"}


def logo_process(*, upload) -> ContentFile:
    """Check an uploaded logo is a real raster image and re-encode it as a resized PNG.

    Re-encoding drops anything that is not pixels (metadata, polyglot payloads).
    """
    if upload.size > MAX_LOGO_BYTES:
        raise ValidationError(_("The logo is larger than 2 MB."))
    try:
        with Image.open(upload) as probe:
            if probe.format not in LOGO_FORMATS:
                raise ValidationError(_("Upload a PNG, JPEG, WebP or GIF image."))
            if probe.width * probe.height > MAX_LOGO_PIXELS:
                raise ValidationError(_("The logo has too many pixels."))
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image.load()
            image = ImageOps.exif_transpose(image).convert("RGBA")
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        raise ValidationError(_("That file is not an image we can read.")) from None
    image.thumbnail(LOGO_BOX, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return ContentFile(out.getvalue(), name=f"{secrets.token_hex(8)}.png")


@transaction.atomic
def branding_update(
    *,
    merchant: Merchant,
    actor: User | None,
    values: dict,
    logo_upload=None,
    remove_logo: bool = False,
) -> Branding:
    """Save branding and the shop's contact details; the logo is checked and re-encoded."""
    # Locks in the order the live preview takes them (orders/samples.py: the merchant,
    # then its branding). Branding first deadlocked a save against a preview rendering.
    Merchant.objects.select_for_update().filter(pk=merchant.pk).values_list("pk").get()
    branding, _created = Branding.objects.select_for_update().get_or_create(merchant=merchant)
    changed = []
    for field in BRANDING_FIELDS:
        if field in values and getattr(branding, field) != values[field]:
            setattr(branding, field, values[field])
            changed.append(field)
    old_logo = branding.logo.name if branding.logo else ""
    if logo_upload is not None:
        processed = logo_process(upload=logo_upload)
        branding.logo.save(f"{merchant.slug}-{processed.name}", processed, save=False)
        changed.append("logo")
    elif remove_logo and branding.logo:
        branding.logo = ""
        changed.append("logo")
    branding.full_clean()
    branding.save()
    merchant_changed = []
    for field in MERCHANT_CONTACT_FIELDS:
        if field in values and getattr(merchant, field) != values[field]:
            setattr(merchant, field, values[field])
            merchant_changed.append(field)
    if merchant_changed:
        merchant.full_clean()
        merchant.save(update_fields=merchant_changed)
    if "logo" in changed and old_logo:
        # Delete the old file only once the new state is committed.
        storage = branding.logo.storage
        transaction.on_commit(lambda: storage.delete(old_logo))
    audit_record(
        merchant=merchant,
        actor=actor,
        action="branding.updated",
        target="branding",
        details={"fields": changed + merchant_changed},
    )
    return branding


def merchant_settings_update(*, merchant: Merchant, actor: User | None, values: dict) -> Merchant:
    changed = [f for f, v in values.items() if getattr(merchant, f) != v]
    for field in changed:
        setattr(merchant, field, values[field])
    merchant.full_clean()
    with transaction.atomic():
        merchant.save()
        audit_record(
            merchant=merchant,
            actor=actor,
            action="settings.updated",
            target="merchant",
            details={"fields": changed},
        )
    return merchant


def settings_row_save(*, merchant: Merchant, actor: User | None, form, action: str):
    """Save a per-merchant settings row of another app (call rules, tracking page)."""
    with transaction.atomic():
        row = form.save(commit=False)
        row.merchant = merchant
        row.save()
        audit_record(
            merchant=merchant,
            actor=actor,
            action=action,
            target=row._meta.verbose_name,
            details={"fields": list(form.changed_data)},
        )
    return row


def set_password_link(*, user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return f"{settings.PUBLIC_BASE_URL}{path}"


@transaction.atomic
def team_invite(
    *, merchant: Merchant, invited_by: User, email: str, role: str, full_name: str = ""
) -> Membership:
    """Add a person to the team and email them a link to set their password and sign in."""
    if role not in Membership.Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    user, created = User.objects.get_or_create(
        email=email.lower(), defaults={"full_name": full_name}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    membership = Membership.objects.for_merchant(merchant).filter(user=user).first()
    if membership is not None and membership.is_active:
        raise ValidationError({"email": _("%(email)s is already on the team.") % {"email": email}})
    if membership is None:
        membership = Membership.objects.create(merchant=merchant, user=user, role=role)
    else:
        membership.role = role
        membership.is_active = True
        membership.save(update_fields=["role", "is_active"])
    link = set_password_link(user=user) if not user.has_usable_password() else ""
    sign_in = f"{settings.PUBLIC_BASE_URL}{settings.LOGIN_URL}"
    inviter = invited_by.get_full_name()
    body = _("%(inviter)s invited you to the %(shop)s team on Postpurchase.") % {
        "inviter": inviter,
        "shop": merchant.name,
    }
    if link:
        body += "\n\n" + _("Choose your password here (the link works for a few days):")
        body += f"\n{link}\n"
    else:
        body += "\n\n" + _("Sign in with your existing password:") + f"\n{sign_in}\n"
    subject = _("Join %(shop)s on Postpurchase") % {"shop": merchant.name}
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    )
    audit_record(
        merchant=merchant,
        actor=invited_by,
        action="team.invited",
        target=user.email,
        details={"role": role},
    )
    return membership


@transaction.atomic
def membership_deactivate(
    *, merchant: Merchant, actor: Membership, membership_id: int
) -> Membership:
    membership = (
        Membership.objects.for_merchant(merchant)
        .select_for_update()
        .select_related("user")
        .get(pk=membership_id)
    )
    if membership.pk == actor.pk:
        raise ValidationError(_("You cannot deactivate yourself."))
    if membership.role == Membership.Role.OWNER and actor.role != Membership.Role.OWNER:
        raise ValidationError(_("Only an owner can deactivate an owner."))
    if membership.is_active:
        membership.is_active = False
        membership.save(update_fields=["is_active"])
        audit_record(
            merchant=merchant,
            actor=actor.user,
            action="team.deactivated",
            target=membership.user.email,
            details={"role": membership.role},
        )
    return membership


def api_key_create_audited(*, merchant: Merchant, actor: User, name: str) -> tuple[ApiKey, str]:
    with transaction.atomic():
        key, raw = api_key_create(merchant=merchant, name=name, created_by=actor)
        audit_record(
            merchant=merchant,
            actor=actor,
            action="api_key.created",
            target=str(key),
            details={"prefix": key.prefix},
        )
    return key, raw


def api_key_revoke_audited(*, merchant: Merchant, actor: User, key_id: int) -> ApiKey:
    with transaction.atomic():
        key = api_key_revoke(merchant=merchant, key_id=key_id)
        audit_record(
            merchant=merchant,
            actor=actor,
            action="api_key.revoked",
            target=str(key),
            details={"prefix": key.prefix},
        )
    return key


def integration_connect_audited(*, merchant: Merchant, actor: User, platform: str, secret: str):
    from orders.integrations.services import integration_connect

    with transaction.atomic():
        integration = integration_connect(merchant=merchant, platform=platform, secret=secret)
        audit_record(
            merchant=merchant,
            actor=actor,
            action="integration.connected",
            target=integration.get_platform_display(),
        )
    return integration
