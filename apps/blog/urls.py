from django.urls import path

from apps.blog import views

app_name = "blog"

urlpatterns = [
    path("", views.home, name="home"),
    path("posts/<slug:slug>/", views.post_detail, name="post_detail"),
    path("categories/<slug:slug>/", views.category_detail, name="category_detail"),
    path("tags/<slug:slug>/", views.tag_detail, name="tag_detail"),
    path("authors/<str:username>/", views.author_detail, name="author_detail"),
]
