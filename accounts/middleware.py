"""Request plumbing: the user's language, the store they are working in, the audit context."""

from __future__ import annotations

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from . import context

STORE_SESSION_KEY = "current_store_id"


class LanguageMiddleware(LocaleMiddleware):
    """Chinese unless someone chose English: the language cookie (set by the switch) decides, not
    the browser's Accept-Language, so a desk PC with an English system still shows Chinese."""

    def process_request(self, request):
        if request.path_info.startswith("/api/"):
            # API clients (platforms, the OEM) choose with Accept-Language, as HTTP intends.
            return super().process_request(request)
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class UserLanguageMiddleware:
    """Signed-in users see the language saved on their profile."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class CurrentStoreMiddleware:
    """Sets ``request.store`` (the store the user works in now) and ``request.perms`` there."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.store = None
        request.perms = frozenset()
        request.roles = frozenset()
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            from .models import Store

            store_ids = user.store_ids()
            wanted = request.session.get(STORE_SESSION_KEY)
            if wanted not in store_ids:
                wanted = store_ids[0] if store_ids else None
                if wanted is not None:
                    request.session[STORE_SESSION_KEY] = wanted
            if wanted is not None:
                request.store = Store.objects.select_related("group").get(pk=wanted)
                request.perms = frozenset(user.perms_in(wanted))
                request.roles = frozenset(user.roles_in(wanted))
        return self.get_response(request)


def client_ip(request) -> str | None:
    """The client's address. X-Forwarded-For is believed only for the number of proxies the
    deployment declares (TRUSTED_PROXIES): each appends the address it saw, so the client's own
    entries further left could be forged."""
    remote = request.META.get("REMOTE_ADDR")
    proxies = getattr(settings, "TRUSTED_PROXIES", 0)
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies <= 0 or not forwarded:
        return remote
    return forwarded[-min(proxies, len(forwarded))]


class AuditContextMiddleware:
    """Makes the client's address and browser available to ``audit_record``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ip = client_ip(request)
        store = getattr(request, "store", None)
        token = context.set_current(
            context.RequestContext(
                ip_address=ip or None,
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
                store_id=store.pk if store is not None else None,
            )
        )
        try:
            return self.get_response(request)
        finally:
            context.reset(token)
