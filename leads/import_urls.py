"""Lead import pages, included from leads/urls.py under ``import/`` (namespace ``leads``)."""

from django.urls import path

from . import import_views as views

urlpatterns = [
    path("", views.ImportListView.as_view(), name="import_list"),
    path("new/", views.ImportCreateView.as_view(), name="import_new"),
    path("template.xlsx", views.ImportTemplateView.as_view(), name="import_template"),
    path("<int:pk>/", views.ImportDetailView.as_view(), name="import_detail"),
    path("<int:pk>/start/", views.ImportCommitView.as_view(), name="import_commit"),
    path("<int:pk>/progress/", views.ImportProgressView.as_view(), name="import_progress"),
    path("<int:pk>/problems.xlsx", views.ImportProblemsView.as_view(), name="import_problems"),
]
