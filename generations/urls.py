from django.urls import path

from generations import views

urlpatterns = [path("generations/kie/callback/<str:token>/", views.kie_callback, name="kie-callback")]
