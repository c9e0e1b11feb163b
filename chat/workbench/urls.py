from django.urls import path

from chat.workbench import dataset_views, prompt_views, review_views

urlpatterns = [
    path("prompts/", prompt_views.prompts_page, name="prompts"),
    path("prompts/<int:prompt_id>/", prompt_views.prompt_page, name="prompt-page"),
    path("api/prompts", prompt_views.prompt_list, name="api-prompts"),
    path("api/prompts/from-conversation", prompt_views.from_conversation, name="api-prompt-from-conversation"),
    path("api/prompts/<int:prompt_id>", prompt_views.prompt, name="api-prompt"),
    path("api/prompts/<int:prompt_id>/versions", prompt_views.versions, name="api-prompt-versions"),
    path("api/prompts/<int:prompt_id>/labels/<str:name>", prompt_views.label, name="api-prompt-label"),
    path("api/prompts/<int:prompt_id>/diff", prompt_views.diff, name="api-prompt-diff"),
    path("api/prompts/<int:prompt_id>/open", prompt_views.open_prompt, name="api-prompt-open"),
    path("datasets/", dataset_views.datasets_page, name="datasets"),
    path("datasets/<int:dataset_id>/", dataset_views.dataset_page, name="dataset-page"),
    path("api/datasets", dataset_views.dataset_list, name="api-datasets"),
    path("api/datasets/<int:dataset_id>", dataset_views.dataset_detail, name="api-dataset"),
    path("api/datasets/<int:dataset_id>/rows", dataset_views.rows, name="api-dataset-rows"),
    path("api/datasets/<int:dataset_id>/rows/<int:row_id>", dataset_views.row, name="api-dataset-row"),
    path("api/datasets/<int:dataset_id>/import", dataset_views.import_file, name="api-dataset-import"),
    path("api/datasets/<int:dataset_id>/export.csv", dataset_views.export, {"extension": "csv"}, name="api-dataset-csv"),
    path("api/datasets/<int:dataset_id>/export.jsonl", dataset_views.export, {"extension": "jsonl"},
         name="api-dataset-jsonl"),
    path("api/datasets/<int:dataset_id>/generate", dataset_views.generate_rows, name="api-dataset-generate"),
    path("api/messages/<int:message_id>/dataset-row", review_views.message_to_dataset, name="api-message-to-dataset"),
    path("api/ratings/message/<int:target_id>", review_views.rating, {"kind": "message"}, name="api-rating-message"),
    path("api/ratings/run/<int:target_id>", review_views.rating, {"kind": "run"}, name="api-rating-run"),
]
