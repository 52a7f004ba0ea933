from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime


def shortened(text: str, keep: int, *, head: bool = False, title: str = "") -> str:
    """A long text cut to its end (or with `head`, its start), the whole of it (or `title`) in
    a tooltip: rows stay one screen wide."""
    if len(text) > keep:
        shown = f"{text[:keep]}…" if head else f"…{text[-keep:]}"
    elif title:
        shown = text
    else:
        return text
    return format_html('<span title="{}">{}</span>', title or text, shown)


def key_values(values: dict, empty: str = "—") -> str:
    """A small table of a dict (a provider's settings, prefixes, a location): read by people,
    not raw JSON; an unset value is a dash."""
    if not values:
        return empty
    rows = ((name, empty if value in (None, "") else value) for name, value in values.items())
    return format_html(
        "<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows)
    )


def moment(at) -> str:
    """A time in a list: the minute, the whole of it in a tooltip."""
    if at is None:
        return "—"
    at = localtime(at)
    whole, shown = f"{at:%Y-%m-%d %H:%M:%S %Z}", f"{at:%Y-%m-%d %H:%M}"
    return format_html('<span title="{}">{}</span>', whole, shown)
