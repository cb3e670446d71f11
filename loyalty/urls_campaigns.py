from django.urls import path

from .views import campaigns, surveys

app_name = "campaigns"
urlpatterns = [
    # "m" for message: /c/ is taken by the catalogue's category pages.
    path("m/<str:token>/", campaigns.click, name="click"),
    path("surveys/<slug:slug>/", surveys.survey_detail, name="survey"),
]
