"""List, create, edit and delete screens for simple tenant-owned content.

Used by the apps' dashboard modules for catalogue rows, benefits, testimonials and
rules, so each screen is a few lines of configuration and scoping is in one place.
"""

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from postpurchase.services import audit_record
from postpurchase.tenancy import get_for_merchant


@dataclass
class Column:
    label: str
    value: Any  # attribute name or callable(obj)
    css: str = ""
    main: bool = False

    def render(self, obj):
        if callable(self.value):
            return self.value(obj)
        return getattr(obj, self.value)


@dataclass
class CrudScreen:
    model: Any
    form_class: Any
    name: str  # url name prefix: "<name>s", "<name>_add", "<name>_edit", "<name>_delete"
    title: str
    singular: str
    subtitle: str = ""
    columns: list[Column] = field(default_factory=list)
    order_by: tuple = ("-id",)
    audit_action: str = ""
    list_actions: list[tuple[str, str]] = field(default_factory=list)  # (label, url name)
    filter_fn: Any = None  # (queryset, request) -> queryset
    per_page: int = 50

    def queryset(self, merchant):
        return self.model.objects.for_merchant(merchant).order_by(*self.order_by)

    def list_view(self, request):
        rows = self.queryset(request.merchant)
        if self.filter_fn:
            rows = self.filter_fn(rows, request)
        page = Paginator(rows, self.per_page).get_page(request.GET.get("page"))
        table = [(obj, [(col, col.render(obj)) for col in self.columns]) for obj in page]
        return render(
            request,
            "dashboard/crud_list.html",
            {"screen": self, "page": page, "table": table, "query": request.GET.get("q", "")},
        )

    def edit_view(self, request, pk=None):
        merchant = request.merchant
        instance = get_for_merchant(self.model, merchant=merchant, pk=pk) if pk else None
        form = self.form_class(request.POST or None, instance=instance, merchant=merchant)
        if request.method == "POST" and form.is_valid():
            with transaction.atomic():
                obj = form.save(commit=False)
                obj.merchant = merchant
                obj.save()
                if self.audit_action:
                    audit_record(
                        merchant=merchant,
                        actor=request.user,
                        action=f"{self.audit_action}.{'updated' if pk else 'created'}",
                        target=str(obj)[:200],
                    )
            messages.success(request, _("%(what)s saved.") % {"what": capfirst(self.singular)})
            return redirect(f"dashboard:{self.name}s")
        status = 400 if request.method == "POST" else 200
        return render(
            request,
            "dashboard/crud_form.html",
            {"screen": self, "form": form, "object": instance},
            status=status,
        )

    def delete_view(self, request, pk):
        obj = get_for_merchant(self.model, merchant=request.merchant, pk=pk)
        if request.method != "POST":
            return render(request, "dashboard/crud_delete.html", {"screen": self, "object": obj})
        with transaction.atomic():
            label = str(obj)[:200]
            obj.delete()
            if self.audit_action:
                audit_record(
                    merchant=request.merchant,
                    actor=request.user,
                    action=f"{self.audit_action}.deleted",
                    target=label,
                )
        messages.success(request, _("%(what)s deleted.") % {"what": capfirst(self.singular)})
        return redirect(f"dashboard:{self.name}s")

    def urls(self, prefix: str, decorator):
        from django.urls import path

        return [
            path(f"{prefix}/", decorator(self.list_view), name=f"{self.name}s"),
            path(f"{prefix}/new/", decorator(self.edit_view), name=f"{self.name}_add"),
            path(f"{prefix}/<int:pk>/", decorator(self.edit_view), name=f"{self.name}_edit"),
            path(
                f"{prefix}/<int:pk>/delete/",
                decorator(self.delete_view),
                name=f"{self.name}_delete",
            ),
        ]


class TenantModelForm:
    """Mixin: a ModelForm that knows its merchant (for uniqueness checks within it)."""

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        self.merchant = merchant
        if self.instance.merchant_id is None:
            self.instance.merchant = merchant
