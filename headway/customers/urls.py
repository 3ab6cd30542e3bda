from django.urls import path

from headway.customers import views

app_name = "customers"

urlpatterns = [
    path("", views.company_list, name="list"),
    path("new/", views.company_create, name="create"),
    path("<int:pk>/", views.company_detail, name="detail"),
    path("<int:pk>/edit/", views.company_edit, name="edit"),
    path("<int:pk>/archive/", views.company_archive, name="archive"),
    path("<int:pk>/restore/", views.company_restore, name="restore"),
    path("<int:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/", views.contact_list, name="contacts"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/archive/", views.contact_archive, name="contact_archive"),
    path("contacts/<int:pk>/restore/", views.contact_restore, name="contact_restore"),
    path("import/", views.import_start, name="import"),
    path("import/<int:pk>/", views.import_preview, name="import_preview"),
    path("import/<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("import/<int:pk>/cancel/", views.import_cancel, name="import_cancel"),
    path("import/example-<str:kind>.csv", views.import_example, name="import_example"),
    path("export/companies.csv", views.export_companies, name="export_companies"),
    path("export/contacts.csv", views.export_contacts, name="export_contacts"),
]
