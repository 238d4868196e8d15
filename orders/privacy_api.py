"""Data-rights API: find a buyer, export everything held about them, erase them."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from orders import privacy
from orders.validators import normalize_phone


class CustomerLookupInput(serializers.Serializer):
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=32)

    def validate_phone(self, value):
        from django.core.exceptions import ValidationError

        try:
            return normalize_phone(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None

    def validate(self, attrs):
        if not attrs["email"] and not attrs["phone"]:
            raise serializers.ValidationError({"email": ["Give the buyer's email or phone."]})
        return attrs


class CustomerRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    orders = serializers.IntegerField()
    erased_at = serializers.DateTimeField(allow_null=True)


CustomerListOutput = inline_serializer(
    "CustomerRefList", {"customers": CustomerRefOutput(many=True)}
)
# An export is free-form JSON: the buyer, their orders and what each app keeps.
CustomerExportOutput = inline_serializer(
    "CustomerExport",
    {
        "exported_at": serializers.DateTimeField(),
        "merchant": serializers.CharField(),
        "customer": serializers.DictField(),
        "orders": serializers.ListField(child=serializers.DictField()),
    },
)


def _refs(customers) -> list[dict]:
    return [{"id": c.pk, "orders": c.orders.count(), "erased_at": c.erased_at} for c in customers]


def _via(request) -> str:
    # The key's public prefix says which integration asked; never the key itself.
    return str(request.user)


def _lookup(request):
    data = CustomerLookupInput(data=request.data)
    data.is_valid(raise_exception=True)
    return privacy.customers_find(
        merchant=request.merchant,
        email=data.validated_data["email"],
        phone=data.validated_data["phone"],
    )


class CustomerLookupApi(APIView):
    """POST, not GET: an email address must not end up in URLs and access logs."""

    @extend_schema(
        operation_id="customers_lookup",
        request=CustomerLookupInput,
        responses={200: CustomerListOutput},
    )
    def post(self, request):
        customers = _lookup(request)
        return Response({"customers": CustomerRefOutput(_refs(customers), many=True).data})


class CustomerEraseByContactApi(APIView):
    @extend_schema(
        operation_id="customers_erase_by_contact",
        request=CustomerLookupInput,
        responses={200: CustomerListOutput},
    )
    def post(self, request):
        erased = [
            privacy.customer_erase(merchant=request.merchant, customer=c, via=_via(request))
            for c in _lookup(request)
        ]
        return Response({"customers": CustomerRefOutput(_refs(erased), many=True).data})


class CustomerExportApi(APIView):
    @extend_schema(operation_id="customers_export", responses={200: CustomerExportOutput})
    def get(self, request, customer_id: int):
        customer = privacy.get_customer(merchant=request.merchant, customer_id=customer_id)
        return Response(privacy.customer_export(merchant=request.merchant, customer=customer))


class CustomerEraseApi(APIView):
    @extend_schema(operation_id="customers_erase", request=None, responses={200: CustomerRefOutput})
    def post(self, request, customer_id: int):
        customer = privacy.get_customer(merchant=request.merchant, customer_id=customer_id)
        customer = privacy.customer_erase(
            merchant=request.merchant, customer=customer, via=_via(request)
        )
        return Response(CustomerRefOutput(_refs([customer])[0]).data, status=status.HTTP_200_OK)
