from django.urls import path

from . import center_views, views
from .dashboard_views import GroupDashboardView, StoreDashboardView, TargetsView

app_name = "reports"

urlpatterns = [
    path("", views.ReportIndexView.as_view(), name="index"),
    path("exports/", views.ExportListView.as_view(), name="exports"),
    path("exports/<int:pk>/download/", views.ExportDownloadView.as_view(), name="export_download"),
    path("r/<slug:identifier>/", views.ReportView.as_view(), name="report"),
    path("r/<slug:identifier>/print/", views.ReportPrintView.as_view(), name="print"),
    path("r/<slug:identifier>/export/", views.ReportExportView.as_view(), name="export"),
    path("center/", center_views.ReportCenterView.as_view(), name="center"),
    path("center/<int:pk>/download/", center_views.ReportFileDownloadView.as_view(), name="center_download"),
    path("dashboard/", StoreDashboardView.as_view(), name="dashboard"),
    path("dashboard/group/", GroupDashboardView.as_view(), name="group_dashboard"),
    path("targets/", TargetsView.as_view(), name="targets"),
]
