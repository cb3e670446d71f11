from django.urls import path

from . import views

app_name = "support"

urlpatterns = [
    path("contact/", views.contact, name="contact"),
    path("contact/sent/", views.contact_sent, name="contact_sent"),
    path("account/inquiries/", views.inquiry_list, name="inquiry_list"),
    path("account/inquiries/<str:number>/", views.inquiry_detail, name="inquiry_detail"),
    path("faq/", views.faq, name="faq"),
]
