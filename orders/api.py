"""Orders API: one view per operation, each with its own input and output shapes."""

from django.core.validators import ProhibitNullCharactersValidator
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.validators import ProhibitSurrogateCharactersValidator
from rest_framework.views import APIView

from orders import selectors, services
from orders.serializers import (
    BatchInput,
    OrderInput,
    OrderListOutput,
    OrderOutput,
    ShipmentEventInput,
    ShipmentEventOutput,
    ShipmentInput,
    ShipmentOutput,
)
from postpurchase.api_errors import _as_field_errors

# DRF gives every CharField a NUL and a surrogate check, each walking the text character
# by character. Orders reach ORDER_INPUT only as request.data, which the API's JSON parser
# (postpurchase/limits.py, json_text_problem) has already refused with a 400 for either
# anywhere in the document, so on this path they can never fail: ~2% of an order's CPU.
TEXT_CHECKS = (ProhibitNullCharactersValidator, ProhibitSurrogateCharactersValidator)


def _without_text_checks(serializer):
    for field in serializer.fields.values():
        field = getattr(field, "child", field)  # many=True: the items' serializer
        if isinstance(field, serializers.Serializer):
            _without_text_checks(field)
        else:
            field.validators = [v for v in field.validators if not isinstance(v, TEXT_CHECKS)]
    return serializer


# Built once per process and reused: DRF deep-copies every declared field for each new
# serializer instance, which cost more than validating an order. Validating and
# rendering keep no state on the instance.
ORDER_INPUT = _without_text_checks(OrderInput())
ORDER_OUTPUT = OrderOutput()


def validated_order(payload) -> dict:
    """The order's validated data, or ValidationError with exactly a fresh serializer's errors."""
    try:
        return ORDER_INPUT.run_validation(payload)
    except serializers.ValidationError:
        # Rare: redo it the ordinary way for the usual error shape.
        data = OrderInput(data=payload)
        data.is_valid()
        raise serializers.ValidationError(data.errors) from None


def _order_response(merchant, order, *, http_status, read_back=True):
    if read_back:
        order = selectors.order_detail_queryset(merchant=merchant).get(pk=order.pk)
    return Response(ORDER_OUTPUT.to_representation(order), status=http_status)


class OrderListCreateApi(ListAPIView):
    serializer_class = OrderListOutput

    def get_queryset(self):
        return selectors.order_list(merchant=self.request.merchant)

    @extend_schema(request=OrderInput, responses={200: OrderOutput, 201: OrderOutput})
    def post(self, request):
        result = services.order_upsert(
            merchant=request.merchant, data=validated_order(request.data)
        )
        # A new order comes back with its detail in hand (order_upsert); an update is read.
        return _order_response(
            request.merchant,
            result.order,
            http_status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
            read_back=not result.created,
        )


class OrderDetailApi(APIView):
    @extend_schema(responses=OrderOutput)
    def get(self, request, order_id: int):
        order = services.get_order(merchant=request.merchant, order_id=order_id)
        return _order_response(request.merchant, order, http_status=status.HTTP_200_OK)


BatchResult = inline_serializer(
    "BatchResult",
    {
        "results": serializers.ListField(
            child=inline_serializer(
                "BatchItemResult",
                {
                    "index": serializers.IntegerField(),
                    "status": serializers.IntegerField(),
                    "id": serializers.IntegerField(required=False),
                    "external_id": serializers.CharField(required=False),
                    "tracking_url": serializers.CharField(required=False),
                    "errors": serializers.DictField(required=False),
                },
            )
        )
    },
)


class OrderBatchApi(APIView):
    @extend_schema(request=BatchInput, responses={200: BatchResult})
    def post(self, request):
        batch = BatchInput(data=request.data)
        batch.is_valid(raise_exception=True)
        results: list[dict | None] = []
        valid: list[tuple[int, dict]] = []
        for index, payload in enumerate(batch.validated_data["orders"]):
            try:
                valid.append((index, validated_order(payload)))
                results.append(None)
            except serializers.ValidationError as exc:
                # Exactly a single POST's errors.
                results.append(
                    {"index": index, "status": 400, "errors": _as_field_errors(exc.detail)}
                )
        upserted = services.orders_batch_upsert(
            merchant=request.merchant, orders=[data for _, data in valid]
        )
        for (index, _), result in zip(valid, upserted, strict=True):
            results[index] = {
                "index": index,
                "status": 201 if result.created else 200,
                "id": result.order.pk,
                "external_id": result.order.external_id,
                "tracking_url": result.order.tracking_url,
            }
        return Response({"results": results}, status=status.HTTP_200_OK)


class ShipmentCreateApi(APIView):
    @extend_schema(request=ShipmentInput, responses={201: ShipmentOutput})
    def post(self, request, order_id: int):
        order = services.get_order(merchant=request.merchant, order_id=order_id)
        data = ShipmentInput(data=request.data, context={"order": order})
        data.is_valid(raise_exception=True)
        shipment = services.shipment_create(
            merchant=request.merchant, order=order, data=data.validated_data
        )
        return Response(ShipmentOutput(shipment).data, status=status.HTTP_201_CREATED)


class ShipmentEventCreateApi(APIView):
    @extend_schema(
        request=ShipmentEventInput, responses={200: ShipmentEventOutput, 201: ShipmentEventOutput}
    )
    def post(self, request, shipment_id: int):
        shipment = services.get_shipment(merchant=request.merchant, shipment_id=shipment_id)
        data = ShipmentEventInput(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.shipment_event_record(
            merchant=request.merchant, shipment=shipment, data=data.validated_data
        )
        body = ShipmentEventOutput(result.event).data
        body["shipment_status"] = result.event.shipment.status
        return Response(
            body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        )
