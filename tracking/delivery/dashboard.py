"""Dashboard list of buyers' answers to failed deliveries, newest first."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from postpurchase.dashboard_auth import merchant_required
from tracking.delivery.models import DeliveryInstruction


@require_GET
@merchant_required()  # account managers call these buyers too
def delivery_instructions(request):
    answers = (
        DeliveryInstruction.objects.for_merchant(request.merchant)
        .select_related("order", "order__customer", "shipment")
        .order_by("-created_at", "-id")[:200]
    )
    return render(request, "tracking/dashboard/deliveries.html", {"answers": answers})
