"""Template filters for links made from addresses on record."""

from urllib.parse import urlsplit

from django import template

register = template.Library()


@register.filter
def web_address(value) -> str:
    """The address when it is a web (http or https) address, else "": an address on record
    that is anything else (``javascript:``, ``data:``), whatever let it in, is never a link."""
    text = str(value or "").strip()
    try:
        scheme = urlsplit(text).scheme
    except ValueError:
        return ""
    return text if scheme.lower() in {"http", "https"} else ""
