from django.urls import path

from chat.workbench import prompt_views

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
]
