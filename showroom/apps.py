from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShowroomConfig(AppConfig):
    name = "showroom"
    verbose_name = _("Showroom")

    def ready(self) -> None:
        from leads.selectors import register_lead_action_provider, register_timeline_provider
        from leads.signals import customers_merged

        from . import navigation, receivers, selectors

        navigation.register()
        register_timeline_provider(selectors.customer_timeline_entries)
        register_lead_action_provider(selectors.lead_page_actions)
        customers_merged.connect(receivers.follow_merged_customers, dispatch_uid="showroom.follow_merged_customers")
