"""URLs of the supervisors' and managers' lead pages, included by ``leads/urls.py`` (namespace ``leads``).

Notifications link to /leads/approvals/, /leads/pool/ and /leads/list/?overdue=1: keep those paths.
"""

from django.urls import path

from . import manage_views as views

urlpatterns = [
    path("list/", views.LeadListView.as_view(), name="lead_list"),
    path("list/reassign/", views.LeadBulkReassignView.as_view(), name="lead_bulk_reassign"),
    path("list/fleet/", views.LeadBulkFleetView.as_view(), name="lead_bulk_fleet"),
    path("list/dcc/", views.LeadBulkDccView.as_view(), name="lead_bulk_dcc"),
    path("list/export/", views.LeadExportView.as_view(), name="lead_export"),
    path("leads/<int:pk>/reopen/", views.LeadReopenView.as_view(), name="lead_reopen"),
    path("approvals/", views.ApprovalListView.as_view(), name="approvals"),
    path("approvals/<int:pk>/decide/", views.ApprovalDecideView.as_view(), name="approval_decide"),
    path("merge/", views.MergeSuggestionsView.as_view(), name="merge_suggestions"),
    path("merge/pick/", views.MergePickView.as_view(), name="merge_pick"),
    path("followups/", views.FollowUpListView.as_view(), name="followup_list"),
    path("followups/<int:pk>/comment/", views.FollowUpCommentView.as_view(), name="followup_comment"),
    path("pool/", views.PoolView.as_view(), name="pool"),
    path("pool/<int:pk>/claim/", views.PoolClaimView.as_view(), name="pool_claim"),
    path("settings/", views.LeadSettingsView.as_view(), name="settings"),
    path("settings/sources/", views.SourceListView.as_view(), name="settings_sources"),
    path("settings/sources/new/", views.SourceFormView.as_view(), name="settings_source_create"),
    path("settings/sources/<int:pk>/", views.SourceFormView.as_view(), name="settings_source_edit"),
    path("settings/reasons/", views.LostReasonListView.as_view(), name="settings_reasons"),
    path("settings/reasons/new/", views.LostReasonFormView.as_view(), name="settings_reason_create"),
    path("settings/reasons/<int:pk>/", views.LostReasonFormView.as_view(), name="settings_reason_edit"),
]
