from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from newsapp.health import health
from newsapp.throttle import ThrottledLoginView

urlpatterns = [
    path("health/", health, name="health"),
    path("login/", ThrottledLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("annotate.urls")),
]
