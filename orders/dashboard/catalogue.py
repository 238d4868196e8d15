"""Dashboard screens of the shop's catalogue and reassurance content: products (with
prices and names per language), benefits and testimonials, each a CrudScreen."""

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders.models import Benefit, Product, Testimonial
from postpurchase.crud import Column, CrudScreen, TenantModelForm
from postpurchase.localized import clean_texts
from postpurchase.models import LOCALES
from postpurchase.templatetags.dashboard_format import money


def _https_urls(db_field, **kwargs):
    # Merchants paste "shop.dk/p/sofa"; assume https like browsers do.
    if isinstance(db_field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return db_field.formfield(**kwargs)


CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


def parse_prices(text: str) -> tuple[dict, list[str]]:
    """{"EUR": "129.95", …} from lines like "EUR 129.95", and the lines' errors."""
    prices, errors = {}, []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        code, _space, amount = line.strip().partition(" ")
        code = code.upper()
        try:
            value = Decimal(amount.strip().replace(",", "."))
        except InvalidOperation:
            value = None
        if not CURRENCY_RE.match(code) or value is None or not value.is_finite() or value < 0:
            errors.append(
                _("Line %(n)s: write a currency code and an amount, like EUR 129.95.")
                % {"n": number}
            )
        else:
            prices[code] = str(value.quantize(Decimal("0.01")))
    return prices, errors


def format_prices(prices: dict) -> str:
    return "\n".join(f"{code} {amount}" for code, amount in sorted((prices or {}).items()))


class ProductForm(TenantModelForm, forms.ModelForm):
    tags = forms.CharField(
        label=gettext_lazy("Tags"),
        required=False,
        help_text=gettext_lazy("Comma-separated, e.g. living room, wool"),
    )
    other_prices = forms.CharField(
        label=gettext_lazy("Prices in other currencies"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy(
            "One per line, like EUR 129.95. Buyers paying in a currency without a price "
            "see the product without one."
        ),
    )

    class Meta:
        model = Product
        formfield_callback = _https_urls
        fields = [
            "sku",
            "name",
            "category",
            "tags",
            "price",
            "currency",
            "image_url",
            "url",
            "best_seller_rank",
            "is_active",
        ]
        labels = {
            "sku": gettext_lazy("SKU"),
            "name": gettext_lazy("Name"),
            "category": gettext_lazy("Category"),
            "price": gettext_lazy("Price"),
            "currency": gettext_lazy("Currency"),
            "url": gettext_lazy("Product page"),
            "image_url": gettext_lazy("Image address"),
            "best_seller_rank": gettext_lazy("Best-seller rank"),
            "is_active": gettext_lazy("Offer in cross-sell"),
        }
        help_texts = {"best_seller_rank": gettext_lazy("1 is your best seller; empty for none.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.pk:
            self.initial["tags"] = ", ".join(self.instance.tags or [])
            self.initial["other_prices"] = format_prices(self.instance.prices)
        # The name above is in the shop's default language; buyers of another language
        # read theirs where given (#17.3).
        default = self.merchant.default_locale
        self.fields["name"].help_text = _("In %(language)s, your default language.") % {
            "language": dict(LOCALES).get(default, default)
        }
        names = self.instance.names or {}
        for code, language in LOCALES:
            if code != default:
                self.fields[f"name_{code}"] = forms.CharField(
                    label=_("Name (%(language)s)") % {"language": language},
                    required=False,
                    max_length=300,
                    initial=names.get(code, ""),
                )
        self.order_fields(
            [
                "sku",
                "name",
                *(f"name_{code}" for code, _n in LOCALES),
                "category",
                "tags",
                "price",
                "currency",
                "other_prices",
            ]
        )

    def name_fields(self) -> list[str]:
        return [name for name in self.fields if name.startswith("name_")]

    def clean_other_prices(self):
        prices, errors = parse_prices(self.cleaned_data.get("other_prices", ""))
        if errors:
            raise ValidationError(errors)
        return prices

    def clean(self):
        cleaned = super().clean()
        # A language without a field here (the default one, since changed) keeps its name.
        self.instance.names = clean_texts(
            {
                **(self.instance.names or {}),
                **{name[len("name_") :]: cleaned.get(name, "") for name in self.name_fields()},
            }
        )
        self.instance.prices = cleaned.get("other_prices") or {}
        return cleaned

    def clean_tags(self):
        return [t.strip() for t in self.cleaned_data.get("tags", "").split(",") if t.strip()]

    def clean_currency(self):
        return self.cleaned_data.get("currency", "").strip().upper()

    def clean_sku(self):
        sku = self.cleaned_data["sku"].strip()
        clash = Product.objects.for_merchant(self.merchant).filter(sku=sku)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(_("Another product already has this SKU."))
        return sku


class BenefitForm(TenantModelForm, forms.ModelForm):
    class Meta:
        model = Benefit
        fields = ["text", "locale", "sku", "category", "position"]
        labels = {
            "text": gettext_lazy("Benefit"),
            "locale": gettext_lazy("Language"),
            "sku": gettext_lazy("SKU"),
            "category": gettext_lazy("Category"),
            "position": gettext_lazy("Position"),
        }
        help_texts = {
            "sku": gettext_lazy(
                "Only for this product. Leave SKU and category empty for all orders."
            ),
            "category": gettext_lazy("Only for products of this category."),
            "position": gettext_lazy("Lower comes first."),
        }


class TestimonialForm(TenantModelForm, forms.ModelForm):
    class Meta:
        model = Testimonial
        fields = [
            "quote",
            "author_name",
            "author_detail",
            "rating",
            "locale",
            "sku",
            "category",
            "is_active",
        ]
        labels = {
            "quote": gettext_lazy("Quote"),
            "author_name": gettext_lazy("Author name"),
            "author_detail": gettext_lazy("Author detail"),
            "rating": gettext_lazy("Rating"),
            "locale": gettext_lazy("Language"),
            "sku": gettext_lazy("SKU"),
            "category": gettext_lazy("Category"),
            "is_active": gettext_lazy("Show it"),
        }
        widgets = {"quote": forms.Textarea(attrs={"rows": 3, "full": 1})}

    def clean_rating(self):
        rating = self.cleaned_data.get("rating")
        if rating is not None and not 1 <= rating <= 5:
            raise ValidationError(_("A rating is 1 to 5 stars."))
        return rating


def _product_filter(queryset, request):
    query = request.GET.get("q", "").strip()
    if query:
        queryset = queryset.filter(
            Q(sku__icontains=query) | Q(name__icontains=query) | Q(category__icontains=query)
        )
    return queryset


PRODUCTS = CrudScreen(
    model=Product,
    form_class=ProductForm,
    name="product",
    title=gettext_lazy("Products"),
    singular=gettext_lazy("product"),
    subtitle=gettext_lazy(
        "The catalogue cross-sell suggestions and content come from. Import it as CSV."
    ),
    columns=[
        Column(gettext_lazy("Name"), "name", main=True),
        Column(gettext_lazy("SKU"), "sku", css="mono"),
        Column(gettext_lazy("Category"), "category"),
        Column(
            gettext_lazy("Price"),
            lambda p: money(p.price, p.currency) if p.price else None,
            "num",
        ),
        Column(gettext_lazy("Rank"), "best_seller_rank", "num"),
        Column(
            gettext_lazy("Cross-sell"),
            lambda p: _("Active") if p.is_active else _("Hidden"),
        ),
    ],
    order_by=("best_seller_rank", "name"),
    audit_action="product",
    list_actions=[
        (gettext_lazy("Import CSV"), "dashboard:product_import"),
        (gettext_lazy("Export CSV"), "dashboard:product_export"),
    ],
    filter_fn=_product_filter,
)

BENEFITS = CrudScreen(
    model=Benefit,
    form_class=BenefitForm,
    name="benefit",
    title=gettext_lazy("Benefits"),
    singular=gettext_lazy("benefit"),
    subtitle=gettext_lazy(
        "Why the purchase was a good choice: shown in the congratulation email and on the tracking page."
    ),
    columns=[
        Column(gettext_lazy("Benefit"), "text", main=True),
        Column(gettext_lazy("Language"), "locale"),
        Column(gettext_lazy("Applies to"), lambda b: b.sku or b.category or _("All orders")),
        Column(gettext_lazy("Position"), "position", "num"),
    ],
    order_by=("locale", "position", "id"),
    audit_action="benefit",
)

TESTIMONIALS = CrudScreen(
    model=Testimonial,
    form_class=TestimonialForm,
    name="testimonial",
    title=gettext_lazy("Testimonials"),
    singular=gettext_lazy("testimonial"),
    subtitle=gettext_lazy("What earlier customers said, shown to new buyers of similar products."),
    columns=[
        Column(gettext_lazy("Quote"), lambda t: t.quote[:80], main=True),
        Column(gettext_lazy("Author"), "author_name"),
        Column(gettext_lazy("Rating"), lambda t: "★" * (t.rating or 0) or None),
        Column(gettext_lazy("Language"), "locale"),
        Column(gettext_lazy("Shown"), lambda t: _("Yes") if t.is_active else _("No")),
    ],
    order_by=("-created_at", "-id"),
    audit_action="testimonial",
)
