"""Peer endorsement: an ambassador congratulates a new buyer from their company or circle.

The flow: a new order is matched to a consenting ambassador (by `referred_by`, else
by company email domain); the ambassador gets an `endorsement_request` email with a
pre-written note and one button; pressing it sends the note to the buyer as a
personal message from the ambassador (reply-to the ambassador). Ambassadors are
asked at most `CallSettings.ambassador_monthly_cap` times a calendar month and can
opt out from every email.
"""

import datetime as dt
from dataclasses import dataclass

from django.core import signing
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import Upper
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from followups.models import Ambassador, Endorsement
from notifications.models import Touchpoint
from orders.models import Customer, LineItem, Order
from postpurchase.models import Merchant

SIGNED_LINK = "the ambassador's signed link names the row"

SEND_SALT = "followups.endorsement.send"
OPT_OUT_SALT = "followups.ambassador.opt-out"
SEND_LINK_MAX_AGE = 60 * 60 * 24 * 30  # a month: after that the moment has passed

# Sharing a mail provider says nothing about sharing a workplace.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "hotmail.com",
        "hotmail.dk",
        "outlook.com",
        "outlook.dk",
        "live.com",
        "live.dk",
        "yahoo.com",
        "yahoo.dk",
        "icloud.com",
        "me.com",
        "aol.com",
        "protonmail.com",
        "proton.me",
        "mail.dk",
        "jubii.dk",
        "gmx.de",
        "gmx.net",
        "web.de",
        "t-online.de",
        "example.com",
    }
)


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].lower() if "@" in email else ""


def company_domain_of(email: str) -> str:
    domain = email_domain(email)
    return "" if domain in FREE_MAIL_DOMAINS else domain


def month_start(*, merchant: Merchant, now: dt.datetime) -> dt.datetime:
    local = now.astimezone(merchant.tzinfo)
    return dt.datetime.combine(local.date().replace(day=1), dt.time.min, tzinfo=merchant.tzinfo)


@dataclass(frozen=True)
class Match:
    ambassador: Ambassador | None
    matched_by: str  # "referred_by", "company" or ""
    # Why nobody was asked, for the call's talking points: "capped", "no_consent", "none".
    reason: str = ""
    peer: Customer | None = None  # a known referrer or colleague, ambassador or not


def _referrer(*, merchant: Merchant, order: Order) -> Customer | None:
    ref = order.referred_by.strip()
    if not ref:
        return None
    return (
        Customer.objects.for_merchant(merchant)
        .filter(Q(email__iexact=ref) | Q(external_id=ref), erased_at__isnull=True)
        .exclude(pk=order.customer_id)
        .order_by("id")
        .first()
    )


def ambassador_match(*, merchant: Merchant, order: Order, now: dt.datetime | None = None) -> Match:
    """Who could congratulate this buyer: the named referrer first, then a colleague."""
    from followups.services import call_settings_for

    now = now or timezone.now()
    cap = call_settings_for(merchant=merchant).ambassador_monthly_cap
    since = month_start(merchant=merchant, now=now)
    ambassadors = (
        Ambassador.objects.for_merchant(merchant)
        .select_related("customer")
        .exclude(customer_id=order.customer_id)
        .filter(customer__erased_at__isnull=True)
        .annotate(
            asked_this_month=Count("endorsements", filter=Q(endorsements__requested_at__gte=since))
        )
    )
    referrer = _referrer(merchant=merchant, order=order)
    domain = company_domain_of(order.customer.email)
    candidates: list[tuple[str, list[Ambassador]]] = []
    if referrer is not None:
        candidates.append(("referred_by", list(ambassadors.filter(customer=referrer))))
    if domain:
        candidates.append(
            (
                "company",
                list(
                    ambassadors.filter(
                        Q(company_domain__iexact=domain)
                        | Q(customer__email__iendswith="@" + domain)
                    ).order_by("id")
                ),
            )
        )
    reason = "none"
    for matched_by, found in candidates:
        available = [a for a in found if a.is_available]
        if found and not available and reason == "none":
            reason = "no_consent"
        under_cap = [a for a in available if a.asked_this_month < cap]
        if available and not under_cap:
            reason = "capped"
        if under_cap:
            # The least-asked colleague, so one enthusiastic ambassador is not worn out.
            chosen = min(under_cap, key=lambda a: (a.asked_this_month, a.pk))
            return Match(ambassador=chosen, matched_by=matched_by, peer=chosen.customer)
    peer = referrer
    if peer is None and domain:
        peer = (
            Customer.objects.for_merchant(merchant)
            .filter(email__iendswith="@" + domain, erased_at__isnull=True)
            .exclude(pk=order.customer_id)
            .order_by("id")
            .first()
        )
    return Match(ambassador=None, matched_by="", reason=reason, peer=peer)


def default_message(*, order: Order, ambassador: Ambassador, first_item=...) -> str:
    """The pre-written note, in the buyer's language; the ambassador may change it.

    `first_item` (the order's first line, or None) saves the read when the caller has it.
    """
    if first_item is ...:
        first_item = order.items.first()
    with translation.override(order.locale):
        return _(
            "Hi %(buyer)s,\n\nI heard you just ordered %(item)s from %(shop)s – congratulations! "
            "I have been a happy customer of theirs myself, and I am sure you will enjoy it.\n\n"
            "Best wishes,\n%(ambassador)s"
        ) % {
            "buyer": order.customer.first_name or order.customer.full_name,
            "item": first_item.name if first_item else _("something"),
            "shop": order.merchant.name,
            "ambassador": ambassador.customer.first_name or ambassador.customer.full_name,
        }


def _planned(touchpoint: Touchpoint) -> None:
    """Start the touchpoint's history and send it right after commit (the dispatcher would too)."""
    from notifications.history import touchpoint_record_planned
    from notifications.queue import touchpoints_enqueue_on_commit

    touchpoint_record_planned([touchpoint], reason="endorsement")
    touchpoints_enqueue_on_commit([touchpoint.pk])


class _Candidates:
    """The ambassadors who could congratulate some buyer of a batch, locked, with their
    requests this month: enough to match every order of the batch in memory.

    Locked before they are counted, so two transactions matching at once take turns and
    cannot both take an ambassador's last request of the month.
    """

    def __init__(self, *, merchant: Merchant, buyers: list[Order], now: dt.datetime):
        refs = {order.referred_by.strip() for order in buyers} - {""}
        self.referrers: dict[str, list[Customer]] = {}
        if refs:
            # Like _referrer: by email (case-insensitive) or the shop's customer id.
            for customer in (
                Customer.objects.for_merchant(merchant)
                .annotate(email_upper=Upper("email"))
                .filter(
                    Q(email_upper__in=[ref.upper() for ref in refs]) | Q(external_id__in=refs),
                    erased_at__isnull=True,
                )
                .order_by("id")
                .only("id", "email", "external_id")
            ):
                for ref in refs:
                    if customer.email_upper == ref.upper() or customer.external_id == ref:
                        self.referrers.setdefault(ref, []).append(customer)
        domains = {company_domain_of(order.customer.email) for order in buyers} - {""}
        wanted = Q(customer_id__in=[c.pk for found in self.referrers.values() for c in found])
        for domain in domains:
            wanted |= Q(company_domain__iexact=domain) | Q(customer__email__iendswith="@" + domain)
        self.ambassadors: list[Ambassador] = []
        if self.referrers or domains:
            self.ambassadors = list(
                Ambassador.objects.for_merchant(merchant)
                .select_for_update(of=("self",))
                .select_related("customer")
                .filter(wanted, customer__erased_at__isnull=True)
                .order_by("id")
            )
        self.asked: dict[int, int] = {}
        if self.ambassadors:
            self.asked = dict(
                Endorsement.objects.for_merchant(merchant)
                .filter(
                    ambassador__in=self.ambassadors,
                    requested_at__gte=month_start(merchant=merchant, now=now),
                )
                .values("ambassador_id")
                .annotate(n=Count("id"))
                .values_list("ambassador_id", "n")
            )

    def match(self, order: Order, *, cap: int) -> tuple[Ambassador, str] | None:
        """ambassador_match's choice: the named referrer first, then the least-asked colleague."""
        others = [a for a in self.ambassadors if a.customer_id != order.customer_id]
        groups = []
        referrer = next(
            (
                c
                for c in self.referrers.get(order.referred_by.strip(), [])
                if c.pk != order.customer_id
            ),
            None,
        )
        if referrer is not None:
            groups.append(("referred_by", [a for a in others if a.customer_id == referrer.pk]))
        domain = company_domain_of(order.customer.email)
        if domain:
            at = "@" + domain.upper()
            groups.append(
                (
                    "company",
                    [
                        a
                        for a in others
                        if a.company_domain.upper() == domain.upper()
                        or a.customer.email.upper().endswith(at)
                    ],
                )
            )
        for matched_by, found in groups:
            under_cap = [a for a in found if a.is_available and self.asked.get(a.pk, 0) < cap]
            if under_cap:
                return min(under_cap, key=lambda a: (self.asked.get(a.pk, 0), a.pk)), matched_by
        return None

    def take(self, ambassador: Ambassador) -> None:
        self.asked[ambassador.pk] = self.asked.get(ambassador.pk, 0) + 1


def endorsements_plan_for_orders(
    *, merchant: Merchant, orders: list[Order], rules=None, ambassadors_exist: bool = True
) -> list[Touchpoint]:
    """Ask a matching ambassador about each new order, inside the orders' transaction.

    In bulk, in a constant number of queries, with exactly the choices that planning the
    orders one by one in this order would make. Returns the new `endorsement_request`
    touchpoints (history recorded; sending them after commit is the caller's part).
    """
    from followups.services import call_settings_for
    from notifications.history import touchpoint_record_planned

    buyers = [o for o in orders if o.customer.email and o.customer.consent_email]
    if not buyers or not ambassadors_exist:
        return []
    now = timezone.now()
    candidates = _Candidates(merchant=merchant, buyers=buyers, now=now)
    if not candidates.ambassadors:
        return []
    cap = (rules or call_settings_for(merchant=merchant)).ambassador_monthly_cap
    chosen = []
    for order in buyers:
        found = candidates.match(order, cap=cap)
        if found is not None:
            candidates.take(found[0])
            chosen.append((order, *found))
    if not chosen:
        return []
    first_items = {}
    for line in LineItem.objects.filter(order__in=[order for order, *_rest in chosen]).order_by(
        "-position", "-id"
    ):
        first_items[line.order_id] = line  # descending: the first line is written last
    endorsements = Endorsement.objects.for_merchant(merchant).bulk_create(
        Endorsement(
            merchant=merchant,
            order=order,
            ambassador=ambassador,
            matched_by=matched_by,
            message=default_message(
                order=order, ambassador=ambassador, first_item=first_items.get(order.pk)
            ),
        )
        for order, ambassador, matched_by in chosen
    )
    touchpoints = Touchpoint.objects.for_merchant(merchant).bulk_create(
        Touchpoint(
            merchant=merchant,
            order=endorsement.order,
            kind=Touchpoint.Kind.ENDORSEMENT_REQUEST,
            channel=Touchpoint.Channel.EMAIL,
            cause=f"endorsement:{endorsement.pk}:ask",
            due_at=now,
            payload={"endorsement_id": endorsement.pk, "recipient": "ambassador"},
        )
        for endorsement in endorsements
    )
    touchpoint_record_planned(touchpoints, reason="endorsement")
    return touchpoints


class EndorsementClosed(Exception):
    """The note was already sent, or the ambassador opted out."""


def endorsement_send(*, endorsement_id: int, message: str) -> Endorsement:
    """The ambassador pressed the button: send their note to the buyer, exactly once."""
    message = message.strip()
    with transaction.atomic():
        endorsement = (
            Endorsement.objects.unscoped(reason=SIGNED_LINK)
            .select_for_update()
            .select_related("ambassador", "order", "merchant")
            .get(pk=endorsement_id)
        )
        if endorsement.status != Endorsement.Status.REQUESTED:
            raise EndorsementClosed(endorsement.status)
        if not endorsement.ambassador.is_available:
            raise EndorsementClosed("opted_out")
        endorsement.message = message or endorsement.message
        endorsement.status = Endorsement.Status.SENT
        endorsement.sent_at = timezone.now()
        endorsement.save(update_fields=["message", "status", "sent_at"])
        touchpoint = Touchpoint.objects.create(
            merchant=endorsement.merchant,
            order=endorsement.order,
            kind=Touchpoint.Kind.ENDORSEMENT_REQUEST,
            channel=Touchpoint.Channel.EMAIL,
            cause=f"endorsement:{endorsement.pk}:note",
            due_at=timezone.now(),
            payload={"endorsement_id": endorsement.pk, "recipient": "buyer"},
        )
        _planned(touchpoint)
    return endorsement


def ambassador_opt_out(*, ambassador_id: int) -> Ambassador:
    """Never ask again; requests still waiting for the button are withdrawn."""
    with transaction.atomic():
        ambassador = (
            Ambassador.objects.unscoped(reason=SIGNED_LINK)
            .select_for_update()
            .get(pk=ambassador_id)
        )
        if ambassador.opted_out_at is None:
            ambassador.opted_out_at = timezone.now()
            ambassador.save(update_fields=["opted_out_at"])
        Endorsement.objects.for_merchant(ambassador.merchant).filter(
            ambassador=ambassador, status=Endorsement.Status.REQUESTED
        ).update(status=Endorsement.Status.DECLINED)
    return ambassador


def ambassador_enroll(
    *,
    merchant: Merchant,
    customer: Customer,
    company: str = "",
    company_domain: str = "",
    by=None,
) -> Ambassador:
    """Mark a customer as ambassador with their consent (recorded now, and in the audit log)."""
    from django.core.exceptions import ValidationError

    from postpurchase.services import audit_record

    existing = Ambassador.objects.for_merchant(merchant).filter(customer=customer).first()
    if existing is not None and existing.opted_out_at is not None:
        # Their own "don't ask me again" outranks the merchant's checkbox.
        raise ValidationError(
            {"email": [_("This customer opted out themselves; only they can change that.")]}
        )
    ambassador, _created = Ambassador.objects.for_merchant(merchant).update_or_create(
        merchant=merchant,
        customer=customer,
        defaults={
            "company": company,
            "company_domain": (company_domain or company_domain_of(customer.email)).lower(),
            "consent": True,
            "consented_at": timezone.now(),
            "opted_out_at": None,
        },
    )
    audit_record(
        merchant=merchant,
        actor=by,
        action="ambassador.enrolled",
        target=f"customer:{customer.pk}",
        details={"company": company, "consent": True},
    )
    return ambassador


def send_token(endorsement: Endorsement) -> str:
    return signing.dumps({"e": endorsement.pk}, salt=SEND_SALT, compress=True)


def opt_out_token(ambassador: Ambassador) -> str:
    return signing.dumps({"a": ambassador.pk}, salt=OPT_OUT_SALT, compress=True)


def endorsement_from_token(token: str) -> Endorsement | None:
    try:
        data = signing.loads(token, salt=SEND_SALT, max_age=SEND_LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    return (
        Endorsement.objects.unscoped(reason=SIGNED_LINK)
        .select_related("ambassador__customer", "order__customer", "merchant")
        .filter(pk=data.get("e"))
        .first()
    )


def ambassador_from_token(token: str) -> Ambassador | None:
    try:
        data = signing.loads(token, salt=OPT_OUT_SALT)
    except signing.BadSignature:
        return None
    return (
        Ambassador.objects.unscoped(reason=SIGNED_LINK)
        .select_related("customer", "merchant")
        .filter(pk=data.get("a"))
        .first()
    )
