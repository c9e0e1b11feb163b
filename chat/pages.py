"""What the pages of the site share."""
from django.shortcuts import render
from django.urls import reverse


def missing(request, what: str, back: str, back_label: str, detail: str):
    """The 404 page for a page whose object does not exist or is not the reader's to see (the same answer for both)."""
    return render(request, "missing.html", {"what": what, "back": reverse(back), "back_label": back_label,
                                            "detail": detail}, status=404)
