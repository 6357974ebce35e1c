"""Which CC BY-SA version covers a post, and the attribution line a thread must carry.

StackExchange's rule (meta.stackexchange.com/q/347758): content contributed before 2011-04-08 (UTC) is
CC BY-SA 2.5, from 2011-04-08 up to but not including 2018-05-02 CC BY-SA 3.0, and from 2018-05-02 on
CC BY-SA 4.0. Each revision is licensed on its own date, so a post's current text takes the version in
force at its last edit. The dump's `ContentLicense`, when present, is authoritative.
"""

from __future__ import annotations

_URLS = {
    "CC BY-SA 2.5": "https://creativecommons.org/licenses/by-sa/2.5/",
    "CC BY-SA 3.0": "https://creativecommons.org/licenses/by-sa/3.0/",
    "CC BY-SA 4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
}


def license_by_date(date: str | None) -> str:
    """The CC BY-SA version in force on an ISO date string (the dump's `2021-05-01T12:00:00.000`)."""
    if date and date < "2011-04-08":
        return "CC BY-SA 2.5"
    if date and date < "2018-05-02":
        return "CC BY-SA 3.0"
    return "CC BY-SA 4.0"


def post_license(content_license: str | None, created: str | None, last_edit: str | None) -> str:
    """The dump's own licence field, else the version in force when the current text was written."""
    if content_license:
        return content_license.strip()
    return license_by_date(max(filter(None, (created, last_edit)), default=None))


def thread_license(post_licenses: list[str]) -> dict:
    """The newest version among the posts: BY-SA 2.5 and 3.0 allow adaptations under a later version."""
    name = max(post_licenses, key=_version, default="CC BY-SA 4.0")
    return {"name": name, "url": _URLS.get(name)}


def _version(name: str) -> float:
    try:
        return float(name.rsplit(" ", 1)[-1])
    except ValueError:
        return 0.0


def attribution(title: str, url: str, site: str, authors: list[str], license_name: str) -> str:
    """One line naming the thread, its authors, the site, the url and the licence."""
    names = list(dict.fromkeys(name for name in authors if name)) or ["anonymous users"]
    return f'"{title}" by {", ".join(names)}, from {site} ({url}), licensed under {license_name}.'
