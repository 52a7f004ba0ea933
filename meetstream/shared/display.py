from django.utils.html import format_html


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
