"""The call queue pages: the account manager's workplace, and the ambassador's two pages."""

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from followups import dialing, endorsements, selectors, services
from followups.forms import AmbassadorForm, CallSettingsForm
from followups.models import FollowUp, Outcome
from followups.scheduling import next_business_day_start
from notifications.webhooks import twilio_signature_valid
from orders.models import Customer
from postpurchase.dashboard_auth import SETTINGS_ROLES, merchant_required
from postpurchase.models import Membership
from postpurchase.templatetags.dashboard_format import local_datetime

# The outcome buttons in the order they are shown, with their keyboard shortcut.
OUTCOME_BUTTONS = [
    ("1", Outcome.REACHED_HAPPY, "", gettext_lazy("Happy"), "good"),
    (
        "2",
        Outcome.REACHED_CONCERNED,
        FollowUp.ESCALATE,
        gettext_lazy("Concerned · escalate"),
        "warn",
    ),
    (
        "3",
        Outcome.REACHED_CONCERNED,
        FollowUp.RETURN,
        gettext_lazy("Concerned · return/cancel"),
        "warn",
    ),
    (
        "4",
        Outcome.REACHED_CONCERNED,
        FollowUp.CALL_AGAIN,
        gettext_lazy("Concerned · call again"),
        "warn",
    ),
    ("5", Outcome.VOICEMAIL, "", gettext_lazy("Voicemail"), "neutral"),
    ("6", Outcome.NO_ANSWER, "", gettext_lazy("No answer"), "neutral"),
    ("7", Outcome.WRONG_NUMBER, "", gettext_lazy("Wrong number"), "bad"),
    ("8", Outcome.DO_NOT_CALL, "", gettext_lazy("Do not call"), "bad"),
]

SNOOZE_CHOICES = {"1h": dt.timedelta(hours=1), "3h": dt.timedelta(hours=3)}


def _queue_url(*, who: str, call_id=None) -> str:
    params = {"who": who}
    if call_id:
        params["call"] = call_id
    return reverse("followups:queue") + "?" + urlencode(params)


def _who(request) -> str:
    default = "mine" if request.membership.role == Membership.Role.ACCOUNT_MANAGER else "all"
    who = request.GET.get("who") or request.POST.get("who") or default
    return who if who in ("mine", "all") else default


@require_GET
@merchant_required()
def call_queue(request):
    merchant = request.merchant
    who = _who(request)
    now = timezone.now()
    assignee_id = request.user.pk if who == "mine" else None
    entries = selectors.call_queue(merchant=merchant, assignee_id=assignee_id, now=now)
    upcoming = selectors.upcoming_calls(merchant=merchant, assignee_id=assignee_id, now=now)
    selected_index = 0
    wanted = request.GET.get("call", "")
    for index, entry in enumerate(entries):
        if str(entry.call.pk) == wanted:
            selected_index = index
    selected = entries[selected_index] if entries else None
    detail = selectors.call_detail(merchant=merchant, entry=selected) if selected else None
    neighbours = {
        "previous": entries[selected_index - 1].call.pk if selected_index > 0 else None,
        "next": entries[selected_index + 1].call.pk if selected_index + 1 < len(entries) else None,
    }
    # After an outcome the worked call leaves the list: go on with the next one.
    after = neighbours["next"] or neighbours["previous"]
    return render(
        request,
        "followups/queue.html",
        {
            "entries": entries,
            "selected": selected,
            "detail": detail,
            "neighbours": neighbours,
            "after": after,
            "who": who,
            "overdue_count": sum(1 for e in entries if e.overdue),
            "high_risk_count": sum(1 for e in entries if e.risk.is_high),
            "outcome_buttons": OUTCOME_BUTTONS,
            "team": selectors.team_members(merchant=merchant),
            "today": now.astimezone(merchant.tzinfo),
            "upcoming": upcoming,
            # What an empty queue waits for when nothing is planned: the next business day.
            "next_business_day": next_business_day_start(merchant=merchant, after=now),
            "rules": services.call_settings_for(merchant=merchant),
            "can_edit_rules": request.membership.role in SETTINGS_ROLES,
            "can_dial": dialing.dialing_available(merchant=merchant, user=request.user),
        },
    )


def _validation_message(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(m for msgs in error.message_dict.values() for m in msgs)
    return " ".join(error.messages)


@require_POST
@merchant_required()
def call_outcome(request, call_id: int):
    merchant = request.merchant
    call = services.get_call(merchant=merchant, call_id=call_id)
    who = _who(request)
    outcome, _sep, follow_up = request.POST.get("outcome", "").partition(":")
    try:
        call = services.call_record_outcome(
            merchant=merchant,
            call=call,
            outcome=outcome,
            follow_up=follow_up,
            note=request.POST.get("note", "")[:2000],
            by=request.user,
        )
    except ValidationError as error:
        messages.error(request, _validation_message(error))
        return redirect(_queue_url(who=who, call_id=call_id))
    buyer = call.order.customer.full_name or call.order.customer.phone
    if call.is_open:
        text = _("%(outcome)s for %(buyer)s: next try %(when)s.") % {
            "outcome": call.get_outcome_display(),
            "buyer": buyer,
            "when": local_datetime(call.due_at),
        }
    else:
        text = _("%(outcome)s recorded for %(buyer)s.") % {
            "outcome": call.get_outcome_display(),
            "buyer": buyer,
        }
    messages.success(request, text)
    return redirect(_queue_url(who=who, call_id=request.POST.get("next") or None))


@require_POST
@merchant_required()
def call_reassign(request, call_id: int):
    merchant = request.merchant
    call = services.get_call(merchant=merchant, call_id=call_id)
    who = _who(request)
    try:
        call = services.call_reassign(
            merchant=merchant, call=call, assignee_id=request.POST.get("assignee"), by=request.user
        )
    except (ValidationError, ValueError):
        messages.error(request, _("Choose someone on your team."))
        return redirect(_queue_url(who=who, call_id=call_id))
    messages.success(
        request, _("Call handed to %(name)s.") % {"name": call.assignee.get_full_name()}
    )
    return redirect(_queue_url(who=who, call_id=request.POST.get("next") or call_id))


@require_POST
@merchant_required()
def call_snooze(request, call_id: int):
    merchant = request.merchant
    call = services.get_call(merchant=merchant, call_id=call_id)
    who = _who(request)
    choice = request.POST.get("snooze", "")
    now = timezone.now()
    if choice == "tomorrow":
        until = next_business_day_start(merchant=merchant, after=now)
    elif choice in SNOOZE_CHOICES:
        until = now + SNOOZE_CHOICES[choice]
    else:
        messages.error(request, _("Choose how long to snooze."))
        return redirect(_queue_url(who=who, call_id=call_id))
    try:
        services.call_snooze(merchant=merchant, call=call, until=until, by=request.user)
    except ValidationError as error:
        messages.error(request, _validation_message(error))
        return redirect(_queue_url(who=who, call_id=call_id))
    messages.success(
        request,
        _("Snoozed until %(when)s.") % {"when": local_datetime(until)},
    )
    return redirect(_queue_url(who=who, call_id=request.POST.get("next") or None))


@require_POST
@merchant_required()
def call_dial(request, call_id: int):
    merchant = request.merchant
    call = services.get_call(merchant=merchant, call_id=call_id)
    who = _who(request)
    try:
        dialing.call_dial(merchant=merchant, call=call, by=request.user)
    except ValidationError as error:
        messages.error(request, _validation_message(error))
    else:
        messages.success(
            request, _("Your phone rings now; answer it and Twilio connects the buyer.")
        )
    return redirect(_queue_url(who=who, call_id=call_id))


# Twilio signs its callbacks (checked below); it sends no CSRF token.
@csrf_exempt
@require_POST
def twilio_status(request, code: str):
    if not twilio_signature_valid(request):
        return HttpResponseForbidden("bad signature")
    dial = dialing.call_dial_record_status(code=code, data=request.POST.dict())
    if dial is None:
        raise Http404
    # The <Dial action> callback expects TwiML back: an empty response ends the call.
    return HttpResponse("<Response/>", content_type="text/xml")


# --- the merchant's call rules and ambassadors -------------------------------------------


@require_http_methods(["GET", "POST"])
@merchant_required(*SETTINGS_ROLES)
def call_settings(request):
    merchant = request.merchant
    rules = services.call_settings_for(merchant=merchant)
    settings_form = CallSettingsForm(instance=rules)
    ambassador_form = AmbassadorForm()
    if request.method == "POST" and request.POST.get("form") == "rules":
        settings_form = CallSettingsForm(request.POST, instance=rules)
        if settings_form.is_valid():
            services.call_settings_update(
                merchant=merchant, data=settings_form.cleaned_data, by=request.user
            )
            messages.success(request, _("Call rules saved."))
            return redirect("followups:settings")
    elif request.method == "POST" and request.POST.get("form") == "ambassador":
        ambassador_form = AmbassadorForm(request.POST)
        if ambassador_form.is_valid():
            data = ambassador_form.cleaned_data
            customer = (
                Customer.objects.for_merchant(merchant)
                .filter(email__iexact=data["email"], erased_at__isnull=True)
                .order_by("id")
                .first()
            )
            if customer is None:
                ambassador_form.add_error("email", _("No customer with this email has ordered."))
            else:
                try:
                    endorsements.ambassador_enroll(
                        merchant=merchant,
                        customer=customer,
                        company=data["company"],
                        company_domain=data["company_domain"],
                        by=request.user,
                    )
                except ValidationError as error:
                    ambassador_form.add_error("email", _validation_message(error))
                else:
                    messages.success(
                        request, _("%(name)s is now an ambassador.") % {"name": customer}
                    )
                    return redirect("followups:settings")
    return render(
        request,
        "followups/settings.html",
        {
            "settings_form": settings_form,
            "ambassador_form": ambassador_form,
            "ambassadors": selectors.ambassador_list(merchant=merchant),
        },
    )


# --- the ambassador's pages (public, reached by signed links) ----------------------------


@require_http_methods(["GET", "POST"])
def endorse(request, token: str):
    endorsement = endorsements.endorsement_from_token(token)
    if endorsement is None:
        raise Http404
    person = endorsement.ambassador.customer
    with translation.override(person.locale or endorsement.merchant.default_locale):
        state = "open"
        if request.method == "POST":
            try:
                endorsement = endorsements.endorsement_send(
                    endorsement_id=endorsement.pk, message=request.POST.get("message", "")[:2000]
                )
                state = "sent_now"
            except endorsements.EndorsementClosed:
                endorsement.refresh_from_db()
        if state == "open" and endorsement.status != endorsement.Status.REQUESTED:
            state = endorsement.status
        if state == "open" and not endorsement.ambassador.is_available:
            state = "declined"
        return render(
            request,
            "followups/public/endorse.html",
            {
                "endorsement": endorsement,
                "ambassador": person,
                "buyer": endorsement.order.customer,
                "merchant": endorsement.merchant,
                "state": state,
                "opt_out_token": endorsements.opt_out_token(endorsement.ambassador),
            },
        )


# Token-authenticated, and mail clients POST one-click unsubscribes without a CSRF token.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def ambassador_opt_out(request, token: str):
    ambassador = endorsements.ambassador_from_token(token)
    if ambassador is None:
        raise Http404
    with translation.override(ambassador.customer.locale or ambassador.merchant.default_locale):
        if request.method == "POST":
            ambassador = endorsements.ambassador_opt_out(ambassador_id=ambassador.pk)
        return render(
            request,
            "followups/public/opt_out.html",
            {"ambassador": ambassador, "merchant": ambassador.merchant},
        )
