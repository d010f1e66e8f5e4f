"""Django setup for benchmark scripts run as ``python -m bench.<name>``."""

import os
import sys
from pathlib import Path


def django_setup() -> None:
    root = Path(__file__).resolve().parent.parent
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealercrm.settings")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # Production enqueues on Redis; here an in-memory broker keeps the enqueue cost without a server
    # and without filling the embedded file-system queue.
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    import django

    django.setup()
