from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("Customer service")

    def ready(self) -> None:
        from leads.selectors import register_task_provider
        from showroom.signals import order_delivered

        from . import navigation, receivers, selectors

        navigation.register()
        register_task_provider(selectors.callback_tasks, count=selectors.callback_task_count)
        order_delivered.connect(receivers.schedule_callbacks, dispatch_uid="complaints.schedule_callbacks")
