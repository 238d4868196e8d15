"""Tenant scoping that is hard to forget.

Every tenant-owned model declares `objects = TenantManager()`. Its plain methods
(`.all()`, `.filter()`, `.get()`) refuse to run: code must say whose rows it wants
with `.for_merchant(merchant)`, or opt out loudly with `.unscoped(reason="...")`, the
one way past the wall, saying why this work spans merchants (a beat pass over every
merchant's due rows, a provider callback that finds its row by an unguessable code,
a write by primary key of a row already read in scope). `grep -rn "unscoped("` lists
every bypass with its reason.

Django's own machinery uses the model's `all_merchants` manager
(Meta.default_manager_name), so validation, admin and related managers keep working;
no code of ours names it (tests/test_tenancy_bypasses.py fails if one does, or if an
`unscoped()` gives no reason).
"""

from django.db import models
from django.http import Http404


class TenantScopeError(RuntimeError):
    """Raised when a tenant-owned model is queried without a merchant."""


class TenantManager(models.Manager):
    def get_queryset(self):
        raise TenantScopeError(
            f"{self.model.__name__}.objects needs .for_merchant(merchant)"
            ' or .unscoped(reason="why this spans merchants")'
        )

    def for_merchant(self, merchant) -> models.QuerySet:
        if merchant is None or getattr(merchant, "pk", None) is None:
            raise TenantScopeError(f"{self.model.__name__}: for_merchant() needs a saved merchant")
        rows = super().get_queryset()
        # Compiled when the rows are first asked for (Django's related managers defer the
        # same way): a bulk_create or create through the scope never reads it, and
        # building the filter cost an ingested order 4% of its CPU (#16).
        rows._defer_next_filter = True
        return rows.filter(merchant=merchant)

    def unscoped(self, *, reason: str) -> models.QuerySet:
        """Every merchant's rows. `reason`: why this work spans merchants (see above)."""
        if not reason.strip():
            raise TenantScopeError(f"{self.model.__name__}.objects.unscoped() needs a reason")
        return super().get_queryset()

    def create(self, **kwargs):
        if kwargs.get("merchant") is None and kwargs.get("merchant_id") is None:
            raise TenantScopeError(f"{self.model.__name__}.objects.create() needs a merchant")
        return super().get_queryset().create(**kwargs)


def merchant_key(**options):
    return models.ForeignKey(
        "postpurchase.Merchant", on_delete=models.CASCADE, related_name="+", **options
    )


def unindexed_merchant_key():
    """The merchant key of a model whose composite indexes lead with it: PostgreSQL
    answers `merchant_id = …` from those (a delete of the merchant included)."""
    return merchant_key(db_index=False)


class TenantModel(models.Model):
    """Abstract base: a row that belongs to exactly one merchant."""

    merchant = merchant_key()

    objects = TenantManager()
    all_merchants = models.Manager()  # noqa: DJ012 - a manager, not a field

    class Meta:
        abstract = True
        default_manager_name = "all_merchants"


def get_for_merchant(model, *, merchant, **lookup):
    """One object of `merchant`, or the same 404 whether it is missing or someone else's."""
    try:
        return model.objects.for_merchant(merchant).get(**lookup)
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404(f"No {model._meta.verbose_name} matches the given query.") from None
