from django.urls import path

from . import views

app_name = "share_rewards"
urlpatterns = [
    path("account/share-rewards/", views.my_share_rewards, name="mine"),
    path("share-campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign"),
]
