from django.urls import path

from generations import media_views, views

urlpatterns = [path("generations/kie/callback/<str:token>/", views.kie_callback, name="kie-callback")]

# Stored media, never public: staff through a permission check, sellers through a signed, expiring link.
urlpatterns += [
    path("generations/<int:pk>/media/<str:field>/", media_views.staff_media, name="generation-media"),
    path("generations/results/<str:token>/", media_views.result_link, name="generation-result-link"),
]
