"""Input and output shapes of the calls API. Every writable field is named."""

from rest_framework import serializers

from followups.models import FollowUp, FollowUpCall, Outcome


class CallListInput(serializers.Serializer):
    date = serializers.DateField(
        required=False, help_text="Due on this day (merchant's time zone)."
    )
    assignee = serializers.CharField(
        required=False, max_length=254, help_text="User id or email of the assignee."
    )
    status = serializers.ChoiceField(choices=FollowUpCall.Status.choices, required=False)


class OutcomeInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    follow_up = serializers.ChoiceField(
        choices=FollowUp.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required for reached_concerned.",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def validate(self, attrs):
        if attrs["outcome"] == Outcome.REACHED_CONCERNED and not attrs.get("follow_up"):
            raise serializers.ValidationError(
                {"follow_up": ["Say what happens next for a concerned buyer."]}
            )
        return attrs


class PersonOutput(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField(source="get_full_name")


class CallOrderOutput(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    number = serializers.CharField()
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    placed_at = serializers.DateTimeField()


class CallCustomerOutput(serializers.Serializer):
    name = serializers.CharField(source="full_name")
    phone = serializers.CharField()
    email = serializers.CharField()
    consent_call = serializers.BooleanField()


class RiskOutput(serializers.Serializer):
    score = serializers.IntegerField()
    level = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())


class AttemptOutput(serializers.Serializer):
    outcome = serializers.CharField()
    follow_up = serializers.CharField()
    note = serializers.CharField()
    via = serializers.CharField()
    at = serializers.DateTimeField(source="created_at")
    by = serializers.SerializerMethodField()

    def get_by(self, attempt) -> str | None:
        return attempt.by.email if attempt.by else None


class CallOutput(serializers.Serializer):
    """One call with its risk; built from a selectors.QueueEntry."""

    id = serializers.IntegerField(source="call.id")
    status = serializers.CharField(source="call.status")
    due_at = serializers.DateTimeField(source="call.due_at")
    snoozed_until = serializers.DateTimeField(source="call.snoozed_until")
    attempts = serializers.IntegerField(source="call.attempts")
    outcome = serializers.CharField(source="call.outcome")
    follow_up = serializers.CharField(source="call.follow_up")
    notes = serializers.CharField(source="call.notes")
    overdue = serializers.BooleanField()
    assignee = PersonOutput(source="call.assignee", allow_null=True)
    order = CallOrderOutput(source="call.order")
    customer = CallCustomerOutput(source="call.order.customer")
    risk = RiskOutput()
    history = AttemptOutput(source="call.history.all", many=True)
