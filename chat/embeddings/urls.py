from django.urls import path

from chat.embeddings import views

urlpatterns = [
    path("embeddings/", views.embeddings_page, name="embeddings"),
    path("embeddings/<int:result_id>/", views.embeddings_page, name="embeddings-result"),
    path("api/embeddings", views.embed, name="api-embeddings"),
    path("api/embeddings/dataset-texts", views.dataset_texts, name="api-embedding-dataset-texts"),
    path("api/embeddings/results", views.results, name="api-embedding-results"),
    path("api/embeddings/results/<int:result_id>", views.result, name="api-embedding-result"),
    path("api/embeddings/results/<int:result_id>/export.csv", views.export_csv, name="api-embedding-csv"),
    path("api/embeddings/results/<int:result_id>/export.json", views.export_json, name="api-embedding-json"),
]
