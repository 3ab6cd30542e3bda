from django.urls import path

from headway.strategy import views

app_name = "strategy"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("goals/", views.goals, name="goals"),
    path("objectives/new/", views.objective_create, name="objective_create"),
    path("objectives/<int:pk>/", views.objective_detail, name="objective"),
    path("objectives/<int:pk>/edit/", views.objective_edit, name="objective_edit"),
    path("objectives/<int:pk>/move/", views.objective_move, name="objective_move"),
    path("objectives/<int:pk>/archive/", views.objective_archive, name="objective_archive"),
    path("objectives/<int:pk>/restore/", views.objective_restore, name="objective_restore"),
    path("objectives/<int:pk>/check-in/", views.check_in, name="check_in"),
    path("objectives/<int:pk>/key-results/new/", views.key_result_create, name="key_result_create"),
    path("key-results/<int:pk>/edit/", views.key_result_edit, name="key_result_edit"),
    path("key-results/<int:pk>/value/", views.key_result_value, name="key_result_value"),
    path("key-results/<int:pk>/delete/", views.key_result_delete, name="key_result_delete"),
    path("initiatives/", views.initiative_list, name="initiatives"),
    path("initiatives/new/", views.initiative_create, name="initiative_create"),
    path("initiatives/<int:pk>/", views.initiative_detail, name="initiative"),
    path("initiatives/<int:pk>/edit/", views.initiative_edit, name="initiative_edit"),
    path("initiatives/<int:pk>/archive/", views.initiative_archive, name="initiative_archive"),
    path("initiatives/<int:pk>/restore/", views.initiative_restore, name="initiative_restore"),
    path("vision/", views.vision, name="vision"),
    path("vision/edit/", views.vision_edit, name="vision_edit"),
    path("vision/share/", views.vision_share, name="vision_share"),
    path("vision/history/", views.vision_history, name="vision_history"),
    path("vision/products/<str:key>/", views.vision, name="product_vision"),
    path("vision/products/<str:key>/edit/", views.vision_edit, name="product_vision_edit"),
    path("vision/products/<str:key>/share/", views.vision_share, name="product_vision_share"),
    path("vision/products/<str:key>/history/", views.vision_history, name="product_vision_history"),
]
