from django.urls import path

from chat.experiments import run_views, views

urlpatterns = [
    path("experiments/", views.experiments_page, name="experiments"),
    path("experiments/<int:experiment_id>/", views.experiment_page, name="experiment-page"),
    path("api/experiments", views.experiments, name="api-experiments"),
    path("api/experiments/<int:experiment_id>", views.experiment, name="api-experiment"),
    path("api/experiments/<int:experiment_id>/run", views.run, name="api-experiment-run"),
    path("api/experiments/<int:experiment_id>/cancel", views.cancel, name="api-experiment-cancel"),
    path("api/experiments/<int:experiment_id>/batches/<int:number>/runs", views.cell_runs,
         name="api-experiment-cell"),
    path("api/experiments/<int:experiment_id>/export.csv", views.export_csv, name="api-experiment-csv"),
    path("api/experiments/<int:experiment_id>/export.json", views.export_json, name="api-experiment-json"),
    path("api/experiments/<int:experiment_id>/compare", run_views.compare, name="api-experiment-compare"),
    path("api/experiments/<int:experiment_id>/batches/<int:number>/resume", run_views.resume_batch,
         name="api-experiment-resume"),
]
