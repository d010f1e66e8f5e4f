from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("leads.api.urls")),
    path("", include("showroom.api.urls")),
    path("", include("dcc.api.urls")),
    path("", include("complaints.api.urls")),
]

urlpatterns = [
    path("", include("accounts.urls")),
    path("catalog/", include("catalog.urls")),
    path("leads/", include("leads.urls")),
    path("dcc/", include("dcc.urls")),
    path("showroom/", include("showroom.urls")),
    path("service/", include("complaints.urls")),
    path("reports/", include("reports.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("django-admin/", admin.site.urls),
]

if settings.DEBUG:
    urlpatterns += [path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]
