from headway.prioritization.views import capacity, grid, matrix, models, plans, ranking

app_name = "prioritization"

# Mounted under /w/<ws>/prioritization/; the middleware resolves <ws> into request.workspace.
# Each views module owns its part of the area and lists its own routes.
urlpatterns = [
    *ranking.urlpatterns,
    *models.urlpatterns,
    *grid.urlpatterns,
    *matrix.urlpatterns,
    *capacity.urlpatterns,
    *plans.urlpatterns,
]
