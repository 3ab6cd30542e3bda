from headway.insights.views import classifier, duplicates, imports, inbox, themes

app_name = "insights"

# Mounted under /w/<ws>/insights/; the middleware resolves <ws> into request.workspace.
# Each views module owns its part of the inbox and lists its own routes.
urlpatterns = [
    *inbox.urlpatterns,
    *imports.urlpatterns,
    *themes.urlpatterns,
    *duplicates.urlpatterns,
    *classifier.urlpatterns,
]
