"""The headers of public tracking responses: private, never indexed, no third parties."""

# The token in the URL must not leak to other sites; "no-referrer" would also make
# browsers send "Origin: null" on our own forms and fail the CSRF origin check.
PRIVATE = (
    ("X-Robots-Tag", "noindex, nofollow, noarchive"),
    ("Cache-Control", "private, no-store"),
    ("Referrer-Policy", "same-origin"),
)


def csp(image_origins=()) -> str:
    # No third-party origins: styles only from our own files (the merchant's colours come
    # from the generated theme stylesheet), no scripts at all, images from this site and
    # from the merchant's own image hosts that this page actually shows.
    images = " ".join(["'self'", "data:", *image_origins])
    return (
        "default-src 'none'; "
        f"img-src {images}; style-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )


def page_headers(*, image_origins, locale: str) -> tuple[tuple[str, str], ...]:
    """An order page's headers, built once when it is rendered and kept with it in the cache."""
    return (
        ("Content-Language", locale),
        ("Content-Security-Policy", csp(image_origins)),
        *PRIVATE,
    )
