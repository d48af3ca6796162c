from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from annotate.api.urls import urls as api_urls
from newsapp.health import health
from newsapp.throttle import ThrottledLoginView

urlpatterns = [
    path("health/", health, name="health"),
    path("login/", ThrottledLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", api_urls),
    path("", include("annotate.urls")),
]
