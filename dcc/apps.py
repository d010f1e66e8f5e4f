from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DccConfig(AppConfig):
    name = "dcc"
    verbose_name = _("DCC call centre")

    def ready(self) -> None:
        from leads import signals as lead_signals
        from leads.selectors import register_timeline_provider

        from . import navigation, selectors, services

        navigation.register()
        lead_signals.lead_created.connect(services.on_lead_event, dispatch_uid="dcc.lead_created")
        lead_signals.lead_handed_to_dcc.connect(services.on_lead_event, dispatch_uid="dcc.lead_handed_to_dcc")
        lead_signals.customers_merged.connect(services.on_customers_merged, dispatch_uid="dcc.customers_merged")
        register_timeline_provider(selectors.customer_call_entries)
