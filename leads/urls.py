"""URLs of the leads app under /leads/. The services link to customers/<id>/, mine/ and tasks/."""

from django.urls import include, path

from . import views
from .models import LostReason

app_name = "leads"

urlpatterns = [
    # The consultant's pages (and the desk's new customer).
    path("customers/new/", views.CustomerCreateView.as_view(), name="customer_create"),
    path("customers/phone-check/", views.PhoneCheckView.as_view(), name="phone_check"),
    path("customers/<int:pk>/", views.CustomerDetailView.as_view(), name="customer_detail"),
    path("customers/<int:pk>/edit/", views.CustomerUpdateView.as_view(), name="customer_update"),
    path("customers/<int:pk>/new-lead/", views.LeadCreateView.as_view(), name="lead_create"),
    path("leads/<int:pk>/edit/", views.LeadUpdateView.as_view(), name="lead_update"),
    path("leads/<int:pk>/follow-up/", views.FollowUpCreateView.as_view(), name="followup_create"),
    path("leads/<int:pk>/invite/", views.InviteView.as_view(), name="invite"),
    path(
        "leads/<int:pk>/request-lost/",
        views.LostRequestView.as_view(kind=LostReason.Kind.LOST),
        name="request_lost",
    ),
    path(
        "leads/<int:pk>/request-invalid/",
        views.LostRequestView.as_view(kind=LostReason.Kind.INVALID),
        name="request_invalid",
    ),
    path("appointments/<int:pk>/cancel/", views.AppointmentCancelView.as_view(), name="appointment_cancel"),
    path("mine/", views.MyLeadsView.as_view(), name="my_leads"),
    path("tasks/", views.MyTasksView.as_view(), name="my_tasks"),
    path("tasks/calendar/", views.CalendarView.as_view(), name="calendar"),
    path("comments/read/", views.CommentsReadView.as_view(), name="comments_read"),
    # Managers' pages and lead import (their own modules).
    path("", include("leads.manage_urls")),
    path("import/", include("leads.import_urls")),
]
