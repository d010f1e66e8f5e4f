from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Vehicle catalog")

    def ready(self) -> None:
        from accounts.navigation import NavItem, register

        register(
            NavItem(
                "catalog",
                _("Vehicle catalog"),
                "catalog:index",
                permission="catalog.view_catalog",
                icon="car-front",
                order=800,
            )
        )
        register(
            NavItem(
                "catalog-import",
                _("Catalog import"),
                "catalog:import",
                section=_("Administration"),
                permission="catalog.manage_catalog",
                icon="file-earmark-spreadsheet",
                order=960,
            )
        )
