"""Dashboard screens of the integrations: CSV import (upload, preview, confirm), incoming deliveries."""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from orders import csv_import
from orders.integrations import selectors
from orders.integrations.models import CsvImport, Platform
from postpurchase.dashboard_auth import SETTINGS_ROLES, merchant_required
from postpurchase.services import audit_record
from postpurchase.tenancy import get_for_merchant


@merchant_required(*SETTINGS_ROLES)
@require_http_methods(["GET", "POST"])
def import_upload(request):
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("Choose a CSV file to upload.")
        else:
            try:
                if upload.size > csv_import.MAX_BYTES:
                    raise csv_import.CsvFileError(_("The file is larger than 5 MB."))
                content = csv_import.decode_upload(upload.read())
                csv_import.preview(merchant=request.merchant, content=content)
            except csv_import.CsvFileError as exc:
                error = str(exc)
            else:
                record = CsvImport.objects.create(
                    merchant=request.merchant,
                    filename=(upload.name or "upload.csv")[:255],
                    content=content,
                    sha256=csv_import.file_sha256(content),
                    created_by=request.user,
                )
                return redirect("integrations-dashboard:import-preview", import_id=record.pk)
    recent = selectors.csv_import_list(merchant=request.merchant)
    return render(
        request,
        "orders/dashboard/import.html",
        {"error": error, "recent": recent, "columns": csv_import.KNOWN_COLUMNS},
        status=400 if error else 200,
    )


@merchant_required(*SETTINGS_ROLES)
@require_http_methods(["GET", "POST"])
def import_preview(request, import_id: int):
    record = get_for_merchant(CsvImport, merchant=request.merchant, pk=import_id)
    if request.method == "POST" and record.status == CsvImport.Status.PREVIEWED:
        with transaction.atomic():
            # Locked, so a double click imports once.
            record = (
                CsvImport.objects.for_merchant(request.merchant)
                .select_for_update()
                .get(pk=record.pk)
            )
            if record.status == CsvImport.Status.PREVIEWED:
                summary, _plan = csv_import.run_import(
                    merchant=request.merchant, content=record.content
                )
                record.status = CsvImport.Status.IMPORTED
                record.summary = summary.as_dict()
                record.imported_at = timezone.now()
                record.save(update_fields=["status", "summary", "imported_at"])
                audit_record(
                    merchant=request.merchant,
                    actor=request.user,
                    action="csv_import",
                    target=record.filename,
                    details=record.summary,
                )
        messages.success(request, _("Import finished."))
        return redirect("integrations-dashboard:import-preview", import_id=record.pk)
    preview = csv_import.preview(merchant=request.merchant, content=record.content)
    earlier = (
        CsvImport.objects.for_merchant(request.merchant)
        .filter(sha256=record.sha256, status=CsvImport.Status.IMPORTED)
        .exclude(pk=record.pk)
        .order_by("-imported_at")
        .first()
    )
    return render(
        request,
        "orders/dashboard/import_preview.html",
        {"record": record, "preview": preview, "earlier": earlier},
    )


@merchant_required(*SETTINGS_ROLES)
@require_http_methods(["GET"])
def connections(request):
    """What the shops and carrier feeds sent lately, and whether each is connected.

    Secrets are set on the dashboard's API keys page (dashboard), which
    calls integration_connect; this page is the log to check that deliveries arrive.
    """
    connected = {i.platform: i for i in selectors.integration_list(merchant=request.merchant)}
    platforms = [
        {
            "code": code,
            "label": label,
            "integration": connected.get(code),
            "url": request.build_absolute_uri(
                reverse(f"integrations:{code}-webhook", args=[request.merchant.slug])
            ),
        }
        for code, label in Platform.choices
    ]
    deliveries = selectors.inbound_delivery_list(merchant=request.merchant, limit=50)
    return render(
        request,
        "orders/dashboard/connections.html",
        {"platforms": platforms, "deliveries": deliveries},
    )
