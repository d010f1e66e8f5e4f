"""URLs of the DCC under /dcc/. Notifications link to /dcc/, /dcc/queue/, /dcc/tasks/<id>/ and
/dcc/campaigns/<id>/."""

from django.urls import path

from . import views

app_name = "dcc"

urlpatterns = [
    # The agent.
    path("", views.MyListView.as_view(), name="my_list"),
    path("duty/", views.DutyView.as_view(), name="duty"),
    path("tasks/<int:pk>/", views.TaskWorkView.as_view(), name="task_work"),
    path("inbound/", views.InboundView.as_view(), name="inbound"),
    path("inbound/lookup/", views.InboundLookupView.as_view(), name="inbound_lookup"),
    path("invitations/", views.InvitationListView.as_view(), name="invitations"),
    # The manager.
    path("queue/", views.QueueView.as_view(), name="queue"),
    path("queue/build/", views.BuildNowView.as_view(), name="build"),
    path("tasks/", views.TaskListView.as_view(), name="task_list"),
    path("tasks/new/", views.TaskAddView.as_view(), name="task_add"),
    path("tasks/assign/", views.TaskAssignView.as_view(), name="task_assign"),
    path("tasks/<int:pk>/cancel/", views.TaskCancelView.as_view(), name="task_cancel"),
    path("calls/export/", views.CallExportView.as_view(), name="call_export"),
    path("campaigns/", views.CampaignListView.as_view(), name="campaign_list"),
    path("campaigns/new/", views.CampaignCreateView.as_view(), name="campaign_create"),
    path("campaigns/<int:pk>/", views.CampaignDetailView.as_view(), name="campaign_detail"),
    path("campaigns/<int:pk>/send/", views.CampaignQueueView.as_view(), name="campaign_send"),
    path("campaigns/<int:pk>/cancel/", views.CampaignCancelView.as_view(), name="campaign_cancel"),
    path("figures/", views.FiguresView.as_view(), name="figures"),
    path("agents/", views.AgentListView.as_view(), name="agents"),
    path("agents/<int:pk>/", views.AgentEditView.as_view(), name="agent_edit"),
    path("script/", views.ScriptView.as_view(), name="script"),
    path("templates/", views.TemplateListView.as_view(), name="templates"),
    path("templates/new/", views.TemplateFormView.as_view(), name="template_create"),
    path("templates/<int:pk>/", views.TemplateFormView.as_view(), name="template_edit"),
    path("settings/", views.SettingsView.as_view(), name="settings"),
]
