"""CSV import of orders and shipments: parse, preview with per-row errors, import.

One row per order line; rows with the same order_id are one order. Shipment
columns (carrier, tracking_number, shipment_status, status_at, estimated_delivery)
add a shipment and its latest event to the row's order. Importing is idempotent:
an order that exists is left as it is, a shipment with the same carrier and
tracking number is found again, and an event already recorded is not repeated,
so the same file twice creates nothing new.

Why not django-import-export (weighed for #18.7, with the product CSV in
orders/dashboard/product_csv.py): its import writes model rows, and an order must go through
order_upsert, shipment_create and shipment_event_record so touchpoints are planned,
buyers matched and events deduplicated as through the API; it is built around the
admin, while merchants import in their dashboard, scoped to their shop; its confirm
step keeps the file in a temporary storage of its own, where ours is a tenant-scoped
CsvImport row (listed as history, imported once under a lock). The product import is
about 90 lines over ProductForm (the same rules and messages as the form, all rows or
none, errors by line, names and prices per language and currency); a resource class
with tenant scoping and widgets for tags and per-locale columns would be no shorter.
For the merchant both are one file in, a preview or a line-numbered list of errors out.
"""

import csv
import hashlib
import io
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from orders.models import Order, Shipment, ShipmentStatus
from orders.serializers import LineItemInput, OrderInput
from orders.services import order_upsert, shipment_create, shipment_event_record
from postpurchase.models import Merchant

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
ORDER_COLUMNS = ("order_number", "placed_at", "currency", "total")
REQUIRED_COLUMNS = ("order_id",)
KNOWN_COLUMNS = (
    "order_id",
    "order_number",
    "placed_at",
    "currency",
    "total",
    "locale",
    "email",
    "phone",
    "first_name",
    "last_name",
    "consent_email",
    "consent_sms",
    "address_line1",
    "address_line2",
    "city",
    "postal_code",
    "region",
    "country",
    "sku",
    "item_name",
    "quantity",
    "unit_price",
    "image_url",
    "product_url",
    "carrier",
    "tracking_number",
    "shipment_status",
    "status_at",
    "estimated_delivery",
)
_YES = {"yes", "y", "true", "1", "ja", "j"}
_NO = {"no", "n", "false", "0", "nej", "nein", ""}


class CsvFileError(ValueError):
    """The file as a whole cannot be read (encoding, size, missing columns)."""


@dataclass
class RowResult:
    number: int  # 1-based line of the file, header is line 1
    order_id: str
    action: str = ""  # "create", "exists", "duplicate", "error"
    errors: list[str] = field(default_factory=list)
    shipment: str = ""  # "carrier tracking" when the row carries one


@dataclass
class OrderPlan:
    order_id: str
    rows: list[int]
    data: dict | None  # validated OrderInput data, None for an order that exists
    shipments: list[dict]


@dataclass
class Preview:
    rows: list[RowResult]
    plans: list[OrderPlan]
    columns: list[str]

    @property
    def error_rows(self) -> list[RowResult]:
        return [r for r in self.rows if r.action == "error"]

    @property
    def orders_to_create(self) -> int:
        return sum(1 for p in self.plans if p.data is not None)

    @property
    def shipments_in_file(self) -> int:
        return sum(len(p.shipments) for p in self.plans)


def file_sha256(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()


def decode_upload(raw: bytes) -> str:
    """Text of an uploaded file: UTF-8 (with or without BOM), else Windows-1252 (Excel)."""
    if len(raw) > MAX_BYTES:
        raise CsvFileError(_("The file is larger than 5 MB."))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _reader(content: str) -> csv.DictReader:
    sample = content[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return csv.DictReader(io.StringIO(content), dialect=dialect)


def _yes(value: str, *, column: str, errors: list[str]) -> bool:
    value = (value or "").strip().lower()
    if value in _YES:
        return True
    if value not in _NO:
        errors.append(_("%(column)s: use yes or no.") % {"column": column})
    return False


def _when(value: str, tz: zoneinfo.ZoneInfo) -> datetime | None:
    """ISO 8601, or a date and time without offset read in the merchant's time zone."""
    value = (value or "").strip()
    parsed = parse_datetime(value) if value else None
    if parsed is None and value:
        day = parse_date(value)
        parsed = datetime(day.year, day.month, day.day) if day else None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def _amount(value: str) -> str:
    """Accept a decimal comma ("1299,00"), as Danish and German spreadsheets write it."""
    value = (value or "").strip().replace(" ", "")
    if value.count(",") == 1 and "." not in value:
        return value.replace(",", ".")
    return value


def _messages(errors, prefix="") -> list[str]:
    out = []
    if isinstance(errors, dict):
        for key, value in errors.items():
            out += _messages(value, f"{prefix}{key}" if not prefix else f"{prefix}.{key}")
    elif isinstance(errors, list):
        for value in errors:
            out += (
                _messages(value, prefix)
                if isinstance(value, dict | list)
                else [f"{prefix}: {value}" if prefix else str(value)]
            )
    return out


def preview(*, merchant: Merchant, content: str) -> Preview:
    """Read the whole file and say, row by row, what importing it would do."""
    reader = _reader(content)
    columns = [c.strip().lower() for c in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise CsvFileError(_("Missing column: %(columns)s.") % {"columns": ", ".join(missing)})
    tz = merchant.tzinfo
    results: list[RowResult] = []
    groups: dict[str, list[tuple[RowResult, dict]]] = {}
    seen: dict[tuple, int] = {}
    for index, raw_row in enumerate(reader):
        if index >= MAX_ROWS:
            raise CsvFileError(_("The file has more than %(max)s rows.") % {"max": MAX_ROWS})
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw_row.items() if k}
        result = RowResult(number=reader.line_num, order_id=row.get("order_id", ""))
        results.append(result)
        if not any(row.values()):
            result.action = "duplicate"
            result.errors.append(_("Empty row, skipped."))
            continue
        key = tuple(sorted(row.items()))
        if key in seen:
            result.action = "duplicate"
            result.errors.append(_("Same as row %(row)s, skipped.") % {"row": seen[key]})
            continue
        seen[key] = result.number
        if not result.order_id:
            result.action = "error"
            result.errors.append(_("order_id: this field is required."))
            continue
        groups.setdefault(result.order_id, []).append((result, row))

    existing = set(
        Order.objects.for_merchant(merchant)
        .filter(external_id__in=list(groups))
        .values_list("external_id", flat=True)
    )
    plans = []
    for order_id, members in groups.items():
        plan = _plan_order(order_id, members, exists=order_id in existing, tz=tz)
        if plan is not None:
            plans.append(plan)
    return Preview(rows=results, plans=plans, columns=columns)


def _plan_order(order_id, members, *, exists: bool, tz) -> OrderPlan | None:
    shipments = []
    items = []
    if not exists and not any(members[0][1].get(c) for c in ORDER_COLUMNS):
        # A shipment-only row for an order we do not have: say that, not "item_name blank".
        message = _(
            "No order %(order)s yet: a new order needs order_number, placed_at, currency and total."
        ) % {"order": order_id}
        for result, _row in members:
            result.action = "error"
            result.errors.append(message)
        return None
    for result, row in members:
        result.shipment = " ".join(filter(None, [row.get("carrier"), row.get("tracking_number")]))
        shipment = _shipment_from_row(row, tz, result.errors)
        if shipment:
            shipments.append(shipment)
        if not exists:
            item = _item_from_row(row, result.errors)
            if item:
                items.append(item)
    data = None
    if not exists:
        first = members[0][1]
        errors = [m for r, _row in members for m in r.errors]
        if not errors:
            data = _order_data(order_id, first, items, tz, members[0][0].errors)
    problems = [m for r, _row in members for m in r.errors]
    for result, _row in members:
        if problems:
            result.action = "error"
            if not result.errors:
                result.errors.append(_("Another row of this order has an error."))
        else:
            result.action = "exists" if exists else "create"
    if problems:
        return None
    return OrderPlan(
        order_id=order_id, rows=[r.number for r, _ in members], data=data, shipments=shipments
    )


def _item_from_row(row: dict, errors: list[str]) -> dict | None:
    item = LineItemInput(
        data={
            "sku": row.get("sku", ""),
            "name": row.get("item_name", ""),
            "quantity": row.get("quantity", ""),
            "unit_price": _amount(row.get("unit_price", "")),
            "image_url": row.get("image_url", ""),
            "product_url": row.get("product_url", ""),
        }
    )
    if not item.is_valid():
        errors += [m.replace("name:", "item_name:", 1) for m in _messages(item.errors)]
        return None
    return dict(item.validated_data)


def _order_data(order_id, row, items, tz, errors) -> dict | None:
    missing = [c for c in ORDER_COLUMNS if not row.get(c)]
    if missing:
        errors += [_("%(column)s: needed for a new order.") % {"column": c} for c in missing]
        return None
    placed_at = _when(row["placed_at"], tz)
    if placed_at is None:
        errors.append(_("placed_at: use a date and time like 2026-11-20 14:30."))
        return None
    consent = {
        "email": _yes(row.get("consent_email", ""), column="consent_email", errors=errors),
        "sms": _yes(row.get("consent_sms", ""), column="consent_sms", errors=errors),
    }
    payload = {
        "external_id": order_id,
        "number": row["order_number"],
        "placed_at": placed_at.isoformat(),
        "currency": row["currency"].upper(),
        "total": _amount(row["total"]),
        "customer": {
            "email": row.get("email", ""),
            "phone": row.get("phone", ""),
            "first_name": row.get("first_name", ""),
            "last_name": row.get("last_name", ""),
            "consent": consent,
        },
        "shipping_address": {
            "line1": row.get("address_line1", ""),
            "line2": row.get("address_line2", ""),
            "city": row.get("city", ""),
            "postal_code": row.get("postal_code", ""),
            "region": row.get("region", ""),
            "country": row.get("country", ""),
        },
        "items": [{**i, "unit_price": str(i["unit_price"])} for i in items],
    }
    if row.get("locale"):
        payload["locale"] = row["locale"].lower()
    data = OrderInput(data=payload)
    if not data.is_valid():
        errors += _messages(data.errors)
        return None
    if errors:
        return None
    return dict(data.validated_data)


def _shipment_from_row(row: dict, tz, errors: list[str]) -> dict | None:
    carrier, tracking = row.get("carrier", ""), row.get("tracking_number", "")
    status, status_at = row.get("shipment_status", "").lower(), row.get("status_at", "")
    if not (carrier or tracking or status):
        return None
    if not carrier or not tracking:
        errors.append(_("carrier and tracking_number: give both for a shipment."))
        return None
    shipment = {"carrier": carrier[:50], "tracking_number": tracking[:100]}
    if row.get("estimated_delivery"):
        day = parse_date(row["estimated_delivery"])
        if day is None:
            errors.append(_("estimated_delivery: use a date like 2026-11-24."))
        shipment["estimated_delivery"] = day
    if status:
        if status not in ShipmentStatus.values:
            errors.append(
                _("shipment_status: use one of %(choices)s.")
                % {"choices": ", ".join(ShipmentStatus.values)}
            )
            return None
        occurred = _when(status_at, tz)
        if occurred is None:
            # Without a time the event could not be recognised on a second import.
            errors.append(_("status_at: needed with shipment_status, e.g. 2026-11-21 09:00."))
            return None
        shipment["status"] = status
        shipment["occurred_at"] = occurred
    return shipment


@dataclass
class ImportSummary:
    orders_created: int = 0
    orders_existing: int = 0
    shipments_created: int = 0
    events_recorded: int = 0
    rows_with_errors: int = 0
    rows_skipped: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def run_import(*, merchant: Merchant, content: str) -> tuple[ImportSummary, Preview]:
    """Import every good order of the file; report the bad rows. Each order commits alone."""
    plan = preview(merchant=merchant, content=content)
    summary = ImportSummary(
        rows_with_errors=len(plan.error_rows),
        rows_skipped=sum(1 for r in plan.rows if r.action == "duplicate"),
    )
    for order_plan in plan.plans:
        with transaction.atomic():
            _import_order(merchant, order_plan, summary)
    return summary, plan


def _import_order(merchant: Merchant, plan: OrderPlan, summary: ImportSummary) -> None:
    order = Order.objects.for_merchant(merchant).filter(external_id=plan.order_id).first()
    if order is None and plan.data is not None:
        result = order_upsert(merchant=merchant, data=plan.data)
        order = result.order
        summary.orders_created += int(result.created)
        summary.orders_existing += int(not result.created)
    elif order is not None:
        summary.orders_existing += 1
    if order is None:
        return
    for data in plan.shipments:
        shipment = (
            Shipment.objects.for_merchant(merchant)
            .filter(order=order, carrier=data["carrier"], tracking_number=data["tracking_number"])
            .first()
        )
        if shipment is None:
            try:
                shipment = shipment_create(merchant=merchant, order=order, data=data)
            except ValidationError:  # pragma: no cover - no items given, so nothing to refuse
                continue
            summary.shipments_created += 1
        if data.get("status"):
            event = shipment_event_record(
                merchant=merchant,
                shipment=shipment,
                data={"status": data["status"], "occurred_at": data["occurred_at"]},
            )
            summary.events_recorded += int(event.created)
