"""The catalogue as a CSV file: export, and an import that creates or updates products
by SKU (optional name_<language> and price_<currency> columns)."""

import csv
import io
import re
from dataclasses import dataclass
from dataclasses import field as dc_field

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from orders.dashboard.catalogue import ProductForm, format_prices
from orders.models import Product
from postpurchase.dashboard_auth import SETTINGS_ROLES, merchant_required
from postpurchase.models import LOCALES
from postpurchase.services import audit_record


@merchant_required(*SETTINGS_ROLES)
def product_export(request):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="products.csv"'
    writer = csv.writer(response)
    header, rows = product_csv_rows(merchant=request.merchant)
    writer.writerow(header)
    writer.writerows(rows)
    return response


@merchant_required(*SETTINGS_ROLES)
def product_import(request):
    result = None
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            result = ProductImportResult(errors=[(0, _("Choose a CSV file."))])
        else:
            result = product_import_csv(
                merchant=request.merchant, actor=request.user, upload=upload
            )
        if not result.errors:
            messages.success(
                request,
                _("Imported: %(created)s new, %(updated)s updated.")
                % {"created": result.created, "updated": result.updated},
            )
            return redirect("dashboard:products")
        status = 400
    return render(
        request,
        "orders/dashboard/product_import.html",
        {
            "result": result,
            "columns": PRODUCT_CSV_COLUMNS,
            "optional_columns": [
                *(f"name_{code}" for code in _other_languages(request.merchant.default_locale)),
                "price_EUR",
                "price_GBP",
            ],
        },
        status=status,
    )


PRODUCT_CSV_COLUMNS = [
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
# After those, optional columns (#17.3, #17.4): the name in each language but the
# default one (that is `name`), e.g. name_de, and price_EUR, price_GBP, …; a file
# without them leaves the names and prices they would hold alone.
PRICE_COLUMN_RE = re.compile(r"^price_([A-Za-z]{3})$")
MAX_IMPORT_ROWS = 5000


def _csv_safe(value) -> str:
    # Spreadsheet apps run cells starting with these as formulas (CSV injection).
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def product_csv_rows(*, merchant) -> tuple[list[str], list[list[str]]]:
    """The header and the rows: the base columns, a name per language, a price per
    currency any product has."""
    products = list(Product.objects.for_merchant(merchant).order_by("sku"))
    languages = _other_languages(merchant.default_locale)
    currencies = sorted({code for p in products for code in (p.prices or {})})
    header = [
        *PRODUCT_CSV_COLUMNS,
        *(f"name_{code}" for code in languages),
        *(f"price_{code}" for code in currencies),
    ]
    return header, [
        [
            _csv_safe(v)
            for v in (
                product.sku,
                product.name,
                product.category,
                "|".join(product.tags or []),
                product.price,
                product.currency,
                product.image_url,
                product.url,
                product.best_seller_rank,
                "yes" if product.is_active else "no",
                *((product.names or {}).get(code, "") for code in languages),
                *((product.prices or {}).get(code, "") for code in currencies),
            )
        ]
        for product in products
    ]


def _other_languages(default_locale: str) -> list[str]:
    return [code for code, _name in LOCALES if code != default_locale]


def _csv_texts_and_prices(row: dict, product, default_locale: str) -> dict:
    """Form data for the optional name and price columns; a column the file lacks keeps
    what the product has."""
    names = dict(product.names or {}) if product else {}
    data = {}
    for code in _other_languages(default_locale):
        column = f"name_{code}"
        data[column] = row[column] if column in row else names.get(code, "")
    prices = dict(product.prices or {}) if product else {}
    for column, value in row.items():
        match = PRICE_COLUMN_RE.match(column)
        if match:
            code = match.group(1).upper()
            if value:
                prices[code] = value
            else:
                prices.pop(code, None)
    data["other_prices"] = format_prices(prices)
    return data


@dataclass
class ProductImportResult:
    created: int = 0
    updated: int = 0
    errors: list = dc_field(default_factory=list)  # (line number, message)


def product_import_csv(*, merchant, actor, upload) -> ProductImportResult:
    """Create or update products by SKU from a CSV file: all rows or none."""
    result = ProductImportResult()
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        result.errors.append((0, _("Save the file as UTF-8 CSV.")))
        return result
    reader = csv.DictReader(io.StringIO(text))
    missing = {"sku", "name"} - set(reader.fieldnames or [])
    if missing:
        result.errors.append(
            (1, _("Missing columns: %(cols)s") % {"cols": ", ".join(sorted(missing))})
        )
        return result
    existing = {p.sku: p for p in Product.objects.for_merchant(merchant)}
    forms_to_save = []
    seen = set()
    for line, row in enumerate(reader, start=2):
        if line - 1 > MAX_IMPORT_ROWS:
            result.errors.append((line, _("At most 5000 products per file.")))
            break
        row = {k: (v or "").strip().lstrip("'") for k, v in row.items() if k}
        sku = row.get("sku", "")
        if sku in seen:
            result.errors.append((line, _("SKU %(sku)s appears twice.") % {"sku": sku}))
            continue
        seen.add(sku)
        data = {
            **row,
            **_csv_texts_and_prices(row, existing.get(sku), merchant.default_locale),
            "tags": ", ".join(t for t in row.get("tags", "").split("|") if t),
            "is_active": row.get("is_active", "yes").lower() not in ("no", "false", "0"),
        }
        form = ProductForm(data, instance=existing.get(sku), merchant=merchant)
        if form.is_valid():
            forms_to_save.append(form)
        else:
            for field_name, errors in form.errors.items():
                result.errors.append((line, f"{field_name}: {' '.join(errors)}"))
    if result.errors:
        return result
    with transaction.atomic():
        for form in forms_to_save:
            is_new = form.instance.pk is None
            product = form.save(commit=False)
            product.merchant = merchant
            product.save()
            if is_new:
                result.created += 1
            else:
                result.updated += 1
        audit_record(
            merchant=merchant,
            actor=actor,
            action="product.imported",
            target=getattr(upload, "name", "")[:200],
            details={"created": result.created, "updated": result.updated},
        )
    return result
