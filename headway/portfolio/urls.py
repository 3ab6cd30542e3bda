from django.urls import path

from headway.portfolio import views

app_name = "portfolio"

# Mounted under /w/<ws>/portfolio/; the middleware resolves <ws> into request.workspace.
urlpatterns = [
    path("", views.tree, name="tree"),
    path("lines/new/", views.line_create, name="line_create"),
    path("lines/<int:pk>/", views.line_detail, name="line"),
    path("lines/<int:pk>/edit/", views.line_edit, name="line_edit"),
    path("lines/<int:pk>/archive/", views.line_archive, name="line_archive"),
    path("lines/<int:pk>/restore/", views.line_restore, name="line_restore"),
    path("lines/<int:pk>/move/", views.line_move, name="line_move"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/<int:pk>/", views.product_detail, name="product"),
    path("products/<int:pk>/edit/", views.product_edit, name="product_edit"),
    path("products/<int:pk>/archive/", views.product_archive, name="product_archive"),
    path("products/<int:pk>/restore/", views.product_restore, name="product_restore"),
    path("products/<int:pk>/move/", views.product_move, name="product_move"),
    path("products/<int:pk>/components/new/", views.component_create, name="component_create"),
    path("components/<int:pk>/", views.component_detail, name="component"),
    path("components/<int:pk>/edit/", views.component_edit, name="component_edit"),
    path("components/<int:pk>/archive/", views.component_archive, name="component_archive"),
    path("components/<int:pk>/restore/", views.component_restore, name="component_restore"),
    path("components/<int:pk>/move/", views.component_move, name="component_move"),
]
