"""Calls API for merchants who work calls from their own CRM or dialer."""

from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from followups import selectors, services
from followups.models import CallAttempt
from followups.serializers import CallListInput, CallOutput, OutcomeInput
from postpurchase.models import Membership


class CallListApi(GenericAPIView):
    serializer_class = CallOutput

    @extend_schema(parameters=[CallListInput], responses=CallOutput(many=True))
    def get(self, request):
        filters = CallListInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        merchant = request.merchant
        assignee_id = None
        if "assignee" in filters.validated_data:
            wanted = filters.validated_data["assignee"]
            lookup = Q(user__email__iexact=wanted)
            if wanted.isdigit():
                lookup |= Q(user_id=int(wanted))
            member = Membership.objects.for_merchant(merchant).filter(lookup).first()
            # Someone not on this merchant's team has no calls here: an empty list, not an error.
            assignee_id = member.user_id if member else -1
        calls = selectors.call_list(
            merchant=merchant,
            date=filters.validated_data.get("date"),
            assignee_id=assignee_id,
            status=filters.validated_data.get("status"),
        )
        page = self.paginate_queryset(calls)
        entries = selectors.entries_for(page, merchant=merchant)
        return self.get_paginated_response(CallOutput(entries, many=True).data)


class CallOutcomeApi(APIView):
    @extend_schema(request=OutcomeInput, responses={200: CallOutput})
    def post(self, request, call_id: int):
        merchant = request.merchant
        call = services.get_call(merchant=merchant, call_id=call_id)
        data = OutcomeInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.call_record_outcome(
            merchant=merchant,
            call=call,
            outcome=data.validated_data["outcome"],
            follow_up=data.validated_data["follow_up"],
            note=data.validated_data["note"],
            via=CallAttempt.Via.API,
        )
        calls = selectors.call_list(merchant=merchant).filter(pk=call.pk)
        entry = selectors.entries_for(calls, merchant=merchant)[0]
        return Response(CallOutput(entry).data, status=status.HTTP_200_OK)
