"""Read-mostly admin for platform staff: what happened to a message, and why."""

from django.contrib import admin

from notifications.models import (
    DeliveryAttempt,
    MessageTemplate,
    Suppression,
    Touchpoint,
    TouchpointStatusChange,
)


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = (
        "number",
        "started_at",
        "finished_at",
        "outcome",
        "provider_message_id",
        "error",
    )


class StatusChangeInline(admin.TabularInline):
    model = TouchpointStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ("from_status", "to_status", "reason", "created_at")


@admin.register(Touchpoint)
class TouchpointAdmin(admin.ModelAdmin):
    list_display = ("id", "merchant", "order", "kind", "channel", "status", "due_at", "attempts")
    list_filter = ("status", "kind", "channel")
    search_fields = ("callback_code", "provider_message_id")
    raw_id_fields = ("order", "merchant")
    readonly_fields = (
        "callback_code",
        "provider_message_id",
        "claimed_at",
        "sent_at",
        "delivered_at",
    )
    inlines = [DeliveryAttemptInline, StatusChangeInline]


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ("merchant", "kind", "channel", "locale", "shipment_status", "last_error_at")
    list_filter = ("kind", "channel", "locale")


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ("channel", "address", "merchant", "reason", "created_at")
    list_filter = ("channel", "reason")
    search_fields = ("address",)
