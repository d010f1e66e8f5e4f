"""URLs of customer service under /service/."""

from django.urls import path

from . import views

app_name = "complaints"

urlpatterns = [
    path("queue/", views.QueueView.as_view(), name="queue"),
    path("complaints/", views.ComplaintListView.as_view(), name="list"),
    path("complaints/new/", views.ComplaintCreateView.as_view(), name="create"),
    path("complaints/<int:pk>/", views.ComplaintDetailView.as_view(), name="detail"),
    path("complaints/<int:pk>/sign/", views.ComplaintSignView.as_view(), name="sign"),
    path("complaints/<int:pk>/print/", views.ComplaintPrintView.as_view(), name="print"),
    path("settings/", views.SettingsView.as_view(), name="settings"),
    path("callbacks/", views.MyCallbacksView.as_view(), name="my_callbacks"),
    path("callbacks/settings/", views.CallbackSettingsView.as_view(), name="callback_settings"),
    path("callbacks/<int:pk>/", views.CallbackView.as_view(), name="callback"),
    path("supervision/", views.SupervisionView.as_view(), name="supervision"),
    path("satisfaction/", views.SatisfactionView.as_view(), name="satisfaction"),
    path("quarterly/", views.QuarterView.as_view(), name="quarter"),
    path("reminders/", views.RemindersView.as_view(), name="reminders"),
    path("reminders/<int:pk>/done/", views.ReminderDoneView.as_view(), name="reminder_done"),
    path("enquiries/", views.EnquiriesView.as_view(), name="enquiries"),
    path("ssi/", views.ScorecardView.as_view(), name="ssi"),
    path("ssi/settings/", views.SsiSettingsView.as_view(), name="ssi_settings"),
    path("enquiries/<int:pk>/handle/", views.EnquiryHandleView.as_view(), name="enquiry_handle"),
]
