"""The tenancy core: users, merchants, memberships, API keys and branding."""

import hashlib
import secrets
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from postpurchase.localized import localized_text
from postpurchase.tenancy import TenantModel

# The languages of buyer messages, tracking pages and the dashboard: settings.LANGUAGES.
LOCALES = settings.LANGUAGES
WEEKDAYS = [0, 1, 2, 3, 4]  # Monday..Friday, Python's weekday() numbering


def default_business_days() -> list[int]:
    return list(WEEKDAYS)


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone: %(tz)s"), params={"tz": value})


def validate_weekdays(value) -> None:
    if not isinstance(value, list) or not value or any(d not in range(7) for d in value):
        raise ValidationError(_("Business days must be a non-empty list of weekdays 0-6."))


hex_color_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #1a2b3c."))


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        if not email:
            raise ValueError("Users need an email address")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: merchant staff, or platform staff (is_staff) for the admin."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    def __str__(self):
        return self.full_name or self.email

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return (self.full_name or self.email).split()[0]


class Merchant(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    default_locale = models.CharField(max_length=5, choices=LOCALES, default="en")
    business_hours_start = models.TimeField(default="09:00")
    business_hours_end = models.TimeField(default="17:00")
    business_days = models.JSONField(default=default_business_days, validators=[validate_weekdays])
    website_url = models.URLField(blank=True)
    support_email = models.EmailField(blank=True)
    support_phone = models.CharField(max_length=32, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Membership(TenantModel):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        ADMIN = "admin", _("Admin")
        ACCOUNT_MANAGER = "account_manager", _("Account manager")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "user"], name="uniq_membership_per_merchant"
            )
        ]

    def __str__(self):
        return f"{self.user} @ {self.merchant_id} ({self.role})"

    @property
    def is_manager_of_settings(self) -> bool:
        return self.role in (self.Role.OWNER, self.Role.ADMIN)


def hash_secret(raw: str) -> str:
    # API keys carry 256 bits of randomness, so a fast hash is enough; no salt needed.
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiKey(TenantModel):
    """A merchant's API key. Only its prefix and hash are stored; the key is shown once."""

    PREFIX_LEN = 10

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=PREFIX_LEN, unique=True)
    hashed_key = models.CharField(max_length=64)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} (pp_{self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @staticmethod
    def generate() -> tuple[str, str]:
        """Return (prefix, full key)."""
        prefix = secrets.token_hex(ApiKey.PREFIX_LEN // 2)
        return prefix, f"pp_{prefix}_{secrets.token_urlsafe(32)}"


# What a merchant sets on the branding page (and the preview shows before saving).
BRANDING_FIELDS = [
    "primary_color",
    "accent_color",
    "background_color",
    "text_color",
    "font",
    "banner_messages",
    "sender_name",
    "reply_to_email",
    "sms_sender",
    "shop_links",
]
MERCHANT_CONTACT_FIELDS = ["website_url", "support_email", "support_phone"]


class Branding(models.Model):
    """How a merchant's pages and messages look. One per merchant."""

    class Font(models.TextChoices):
        SYSTEM = "system", _("System UI")
        SERIF = "serif", _("Serif (Georgia)")
        ROUNDED = "rounded", _("Rounded")
        MONO = "mono", _("Monospace")
        HUMANIST = "humanist", _("Humanist (Segoe, Optima)")

    merchant = models.OneToOneField(Merchant, on_delete=models.CASCADE, related_name="branding")
    logo = models.ImageField(upload_to="logos/", blank=True)
    primary_color = models.CharField(
        max_length=7, default="#1f3a5f", validators=[hex_color_validator]
    )
    accent_color = models.CharField(
        max_length=7, default="#e07a5f", validators=[hex_color_validator]
    )
    background_color = models.CharField(
        max_length=7, default="#f7f5f2", validators=[hex_color_validator]
    )
    text_color = models.CharField(max_length=7, default="#1d1d1f", validators=[hex_color_validator])
    font = models.CharField(max_length=20, choices=Font.choices, default=Font.SYSTEM)
    # {locale: text}; read with postpurchase.localized.localized_text.
    banner_messages = models.JSONField(default=dict, blank=True)
    # [{"label": text in the default language, "labels": {locale: text}, "url": ...}]
    shop_links = models.JSONField(default=list, blank=True)
    sender_name = models.CharField(max_length=100, blank=True)
    reply_to_email = models.EmailField(blank=True)
    sms_sender = models.CharField(max_length=11, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Branding of {self.merchant}"

    # The merchant's default language is passed in: callers have the merchant at hand,
    # and a preview's unsaved Branding would read it with a query.
    def banner_for(self, locale: str, *, default_locale: str) -> str:
        """The banner for a buyer reading `locale` (postpurchase/localized.py's fallbacks)."""
        return localized_text(self.banner_messages, locale=locale, default_locale=default_locale)

    def shop_links_for(self, locale: str, *, default_locale: str) -> list[dict]:
        """[{"label", "url"}] with each label in the buyer's language where given."""
        links = []
        for entry in self.shop_links or []:
            if not isinstance(entry, dict):
                continue
            label = localized_text(
                entry.get("labels"),
                locale=locale,
                default_locale=default_locale,
                fallback=str(entry.get("label") or ""),
            )
            links.append({"label": label, "url": str(entry.get("url") or "")})
        return links


class AuditLogEntry(TenantModel):
    """Who changed what: branding, templates, keys, team, data-rights actions."""

    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=60)  # "branding.updated", "api_key.revoked", …
    target = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["merchant", "-created_at"])]

    def __str__(self):
        return f"{self.action} by {self.actor_id} at {self.created_at:%Y-%m-%d %H:%M}"
