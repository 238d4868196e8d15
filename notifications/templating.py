"""Message wording: merchants' template overrides, validated and rendered safely.

Merchants write subject/body with `{{ variables }}` and simple `{% if %}` blocks.
Templates run in an engine of their own with no loaders and no tag libraries,
and validation allows only known variables, `if`, and a few text filters, so a
template can neither read files nor reach into objects. The defaults are
translated strings (en, da, de) in the same syntax, so "start from the default"
in the dashboard shows exactly what is sent today.
"""

import functools
import logging
import re
from dataclasses import dataclass

from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import FilterExpression, Node, TextNode, VariableNode
from django.template.defaulttags import IfNode
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notifications import rendering
from notifications.batch import read_once
from notifications.models import MessageTemplate, Touchpoint

logger = logging.getLogger(__name__)

_engine = Engine(dirs=[], app_dirs=False, libraries={}, autoescape=False)

ALLOWED_FILTERS = frozenset({"default", "upper", "lower", "title", "capfirst", "truncatechars"})
MAX_SUBJECT = 200
MAX_BODY = 5000
SMS_SEGMENT = 160

COMMON_VARIABLES = {
    "customer_first_name": gettext_lazy("The buyer's first name (may be empty)"),
    "customer_name": gettext_lazy("The buyer's full name"),
    "shop_name": gettext_lazy("Your shop's name"),
    "order_number": gettext_lazy("The order number, e.g. #1001"),
    "order_total": gettext_lazy("The order total with currency"),
    "tracking_url": gettext_lazy("Link to the branded tracking page"),
    "support_email": gettext_lazy("Your support email address"),
    "support_phone": gettext_lazy("Your support phone number"),
}
CONGRATULATION_VARIABLES = {
    "expected_delivery": gettext_lazy("Expected delivery date or range"),
    "item_count": gettext_lazy("How many items were bought"),
}
SHIPMENT_VARIABLES = {
    "status_label": gettext_lazy("The new shipment status, in words"),
    "carrier": gettext_lazy("The carrier's name"),
    "tracking_number": gettext_lazy("The carrier's tracking number"),
    "estimated_delivery": gettext_lazy("The carrier's estimated delivery date (may be empty)"),
    "location": gettext_lazy("Where the latest scan happened (may be empty)"),
    "delivery_url": gettext_lazy(
        "Link to the page where the buyer fixes a failed delivery (new day, pickup, address)"
    ),
}


def available_variables(kind: str) -> dict[str, str]:
    """Variable name -> what it holds, for the template editor."""
    extra = {
        Touchpoint.Kind.CONGRATULATION: CONGRATULATION_VARIABLES,
        Touchpoint.Kind.SHIPMENT_UPDATE: SHIPMENT_VARIABLES,
    }.get(kind, {})
    return {name: str(text) for name, text in {**COMMON_VARIABLES, **extra}.items()}


# ---------------------------------------------------------------- validation


class TemplateInvalid(ValueError):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


def _check_filter_expression(expr: FilterExpression, allowed: set[str], problems: list[str]):
    lookups = getattr(expr.var, "lookups", None)  # None for a literal like "text"
    if lookups is not None and (len(lookups) != 1 or lookups[0] not in allowed):
        problems.append(_("Unknown variable “%(name)s”.") % {"name": ".".join(lookups)})
    for func, _args in expr.filters:
        if func.__name__ not in ALLOWED_FILTERS:
            problems.append(_("The filter “%(name)s” is not allowed.") % {"name": func.__name__})


def _walk(nodes, allowed: set[str], problems: list[str]):
    for node in nodes:
        if isinstance(node, TextNode):
            continue
        if isinstance(node, VariableNode):
            _check_filter_expression(node.filter_expression, allowed, problems)
        elif isinstance(node, IfNode):
            for condition, nodelist in node.conditions_nodelists:
                _check_condition(condition, allowed, problems)
                _walk(nodelist, allowed, problems)
        elif isinstance(node, Node):
            problems.append(_("Only {{ variables }} and {% if %} blocks can be used."))


def _check_condition(condition, allowed: set[str], problems: list[str]):
    if condition is None:
        return
    value = getattr(condition, "value", None)
    if isinstance(value, FilterExpression):
        _check_filter_expression(value, allowed, problems)
    for side in ("first", "second"):
        child = getattr(condition, side, None)
        if child is not None:
            _check_condition(child, allowed, problems)


def _validate_source(source: str, allowed: set[str]) -> list[str]:
    try:
        template = _engine.from_string(source)
    except TemplateSyntaxError as err:
        return [_("Template syntax error: %(error)s") % {"error": err}]
    problems: list[str] = []
    _walk(template.nodelist, allowed, problems)
    return sorted(set(problems))


def template_validate(*, kind: str, channel: str, subject: str = "", body: str = "") -> dict:
    """{field: [messages]} for everything wrong with a template; empty when it is fine.

    Also renders it with sample data, so a template that validates also renders.
    """
    errors: dict[str, list[str]] = {}
    allowed = set(available_variables(kind))
    if channel == Touchpoint.Channel.EMAIL:
        if not subject.strip():
            errors.setdefault("subject", []).append(_("An email needs a subject."))
        elif len(subject) > MAX_SUBJECT:
            errors.setdefault("subject", []).append(
                _("Keep the subject under %(n)d characters.") % {"n": MAX_SUBJECT}
            )
        elif "\n" in subject:
            errors.setdefault("subject", []).append(_("The subject must be one line."))
        elif problems := _validate_source(subject, allowed):
            errors["subject"] = problems
    if not body.strip():
        errors.setdefault("body", []).append(_("The message cannot be empty."))
    elif len(body) > MAX_BODY:
        errors.setdefault("body", []).append(
            _("Keep the message under %(n)d characters.") % {"n": MAX_BODY}
        )
    else:
        problems = _validate_source(body, allowed)
        if problems:
            errors["body"] = problems
    if not errors:
        sample = {name: f"[{name}]" for name in allowed}
        try:
            render_source(subject, sample)
            render_source(body, sample)
        except Exception as err:
            errors["body"] = [_("The template does not render: %(error)s") % {"error": err}]
    return errors


# ---------------------------------------------------------------- rendering


@functools.lru_cache(maxsize=512)
def _compiled(source: str):
    """Parsing is most of a short template's cost; the same wording renders every send."""
    return _engine.from_string(source)


def render_source(source: str, context: dict) -> str:
    return rendering.render_fresh(_compiled(source), Context(context, autoescape=False))


@dataclass
class RenderedText:
    subject: str
    body: str
    template_id: int | None = None  # the merchant override used, if any
    error: str = ""  # the override's render error, when it fell back to the default


def find_override(*, merchant, kind: str, channel: str, locale: str, shipment_status: str = ""):
    """The most specific active override: this status first, then all statuses.

    A merchant's active overrides are read once per send batch (they are few).
    """
    rows = read_once(
        ("message-templates", merchant.pk),
        lambda: list(MessageTemplate.objects.for_merchant(merchant).filter(is_active=True)),
    )
    by_status = {
        row.shipment_status: row
        for row in rows
        if (row.kind, row.channel, row.locale) == (kind, channel, locale)
        and row.shipment_status in (shipment_status, "")
    }
    return by_status.get(shipment_status) or by_status.get("")


def render_message_text(
    *,
    merchant,
    kind: str,
    channel: str,
    locale: str,
    context: dict,
    shipment_status: str = "",
    language: str | None = None,
) -> RenderedText:
    """Render the merchant's override, or the default; an override that fails falls back.
    `language`: the active one, if the caller has it at hand."""
    from notifications.defaults import default_text

    # The translated defaults, once per batch and language.
    default_subject, default_body = read_once(
        ("default-text", kind, channel, shipment_status, language or translation.get_language()),
        lambda: default_text(kind, channel, shipment_status),
    )
    override = find_override(
        merchant=merchant,
        kind=kind,
        channel=channel,
        locale=locale,
        shipment_status=shipment_status,
    )
    if override is not None:
        try:
            return RenderedText(
                subject=render_source(override.subject or default_subject, context).strip(),
                body=render_source(override.body, context).strip(),
                template_id=override.pk,
            )
        except Exception as err:
            error = f"{type(err).__name__}: {err}"
            logger.warning(
                "template %s failed to render, using the default: %s", override.pk, error
            )
            MessageTemplate.objects.for_merchant(merchant).filter(pk=override.pk).update(
                last_error=error[:2000], last_error_at=timezone.now()
            )
            rendered = _render_default(default_subject, default_body, context)
            rendered.error = error
            return rendered
    return _render_default(default_subject, default_body, context)


def _render_default(subject: str, body: str, context: dict) -> RenderedText:
    return RenderedText(
        subject=render_source(subject, context).strip(), body=render_source(body, context).strip()
    )


# ---------------------------------------------------------------- SMS text

_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXT = set("^{}\\[~]|€")
_REPLACEMENTS = {
    "’": "'",
    "‘": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "–": "-",
    "—": "-",
    "…": "...",
    "\u00a0": " ",
    "×": "x",
}


def sms_normalize(text: str) -> str:
    """Swap typographic characters for GSM-7 ones, so a text stays one 160-char segment."""
    for char, plain in _REPLACEMENTS.items():
        text = text.replace(char, plain)
    return re.sub(r"[ \t]+", " ", text).strip()


def sms_segments(text: str) -> tuple[str, int]:
    """("gsm7"|"ucs2", number of segments) for a text."""
    if all(c in _GSM7 or c in _GSM7_EXT for c in text):
        length = sum(2 if c in _GSM7_EXT else 1 for c in text)
        return "gsm7", 1 if length <= 160 else -(-length // 153)
    length = len(text.encode("utf-16-le")) // 2
    return "ucs2", 1 if length <= 70 else -(-length // 67)
