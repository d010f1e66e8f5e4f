from django.urls import include, path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("workbench/", views.WorkbenchView.as_view(), name="workbench"),
    path("switch-store/", views.SwitchStoreView.as_view(), name="switch_store"),
    path("language/", views.SetLanguageView.as_view(), name="set_language"),
    path("notifications/", views.NotificationListView.as_view(), name="notification_list"),
    path("notifications/bell/", views.NotificationBellView.as_view(), name="notification_bell"),
    path("notifications/read-all/", views.NotificationReadView.as_view(), name="notification_read_all"),
    path("notifications/<int:pk>/read/", views.NotificationReadView.as_view(), name="notification_read"),
    path("group/", views.GroupOverviewView.as_view(), name="group_overview"),
    path("manage/", include("accounts.admin_urls")),
]
