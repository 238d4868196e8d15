"""Deleting old rows in slices, so a first run over a large backlog holds no long transaction."""


def delete_in_slices(queryset, *, batch: int = 5000) -> int:
    """Delete every row of `queryset` (cascades included), `batch` at a time; the count."""
    removed = 0
    while True:
        ids = list(queryset.values_list("pk", flat=True)[:batch])
        if not ids:
            return removed
        queryset.model._base_manager.filter(pk__in=ids).delete()
        removed += len(ids)
