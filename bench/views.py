"""The baseline for the tracking page: a bare view rendering a static template.

`?size=N` pads the page to N bytes so it weighs the same as the page it is compared to.
"""

from django.shortcuts import render

FILLER = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. "


def static_page(request):
    try:
        size = max(0, min(int(request.GET.get("size", "0")), 2_000_000))
    except ValueError:
        size = 0
    # The template's own markup is ~400 bytes; the rest is filler text.
    filler = (FILLER * (size // len(FILLER) + 1))[: max(0, size - 400)]
    return render(request, "bench/static_page.html", {"filler": filler})
