"""Dashboard screens of the tracking app: the tracking-page preview and cross-sell rules."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders.models import Product
from postpurchase.crud import Column, CrudScreen, TenantModelForm
from postpurchase.dashboard_auth import SETTINGS_ROLES, merchant_required
from tracking.models import CrossSellRule
from tracking.rendering import render_tracking_page


def render_tracking_preview(*, order, locale: str, request=None) -> str:
    """The buyer's tracking page for `order`, exactly as the tracking app renders it.

    The edited branding is already on the merchant (inside the preview's transaction).
    """
    return render_tracking_page(order, branding_override=order.merchant.branding, locale=locale)


class CrossSellRuleForm(TenantModelForm, forms.ModelForm):
    class Meta:
        model = CrossSellRule
        fields = ["product", "kind", "trigger_sku", "trigger_category", "priority", "is_active"]
        labels = {
            "product": gettext_lazy("Recommend"),
            "kind": gettext_lazy("Kind"),
            "trigger_sku": gettext_lazy("When the order has SKU"),
            "trigger_category": gettext_lazy("…or a product of category"),
            "priority": gettext_lazy("Priority"),
            "is_active": gettext_lazy("Active"),
        }
        help_texts = {
            "trigger_sku": gettext_lazy("Leave both empty to recommend on every order."),
            "priority": gettext_lazy("Lower numbers are shown first."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only this merchant's own catalogue can be recommended.
        self.fields["product"].queryset = Product.objects.for_merchant(self.merchant).order_by(
            "name"
        )

    def clean(self):
        cleaned = super().clean()
        product = cleaned.get("product")
        if product is not None and cleaned.get("trigger_sku") == product.sku:
            raise ValidationError(_("A product cannot be recommended with itself."))
        return cleaned


def _trigger(rule) -> str:
    if rule.trigger_sku:
        return f"SKU {rule.trigger_sku}"
    if rule.trigger_category:
        return _("Category %(name)s") % {"name": rule.trigger_category}
    return _("Every order")


CROSSSELL_RULES = CrudScreen(
    model=CrossSellRule,
    form_class=CrossSellRuleForm,
    name="crosssell_rule",
    title=gettext_lazy("Cross-sell rules"),
    singular=gettext_lazy("rule"),
    subtitle=gettext_lazy(
        "What the tracking page suggests next to an order. Without a matching rule it shows "
        "your best sellers."
    ),
    columns=[
        Column(gettext_lazy("Recommend"), lambda r: r.product.name, main=True),
        Column(gettext_lazy("Kind"), lambda r: r.get_kind_display()),
        Column(gettext_lazy("When"), _trigger),
        Column(gettext_lazy("Priority"), "priority", "num"),
        Column(gettext_lazy("Active"), lambda r: _("Yes") if r.is_active else _("No")),
    ],
    order_by=("priority", "id"),
    audit_action="crosssell_rule",
)
CROSSSELL_RULES.queryset = lambda merchant: (
    CrossSellRule.objects.for_merchant(merchant)
    .select_related("product")
    .order_by("priority", "id")
)

urlpatterns = [*CROSSSELL_RULES.urls("cross-sell", merchant_required(*SETTINGS_ROLES))]
