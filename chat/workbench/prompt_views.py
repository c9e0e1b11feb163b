"""The prompt pages and their JSON API (`chat.json_views.api` style: errors are raised, answered as JSON).

Reading needs `can_read` (someone else's private prompt is a 404, like a missing id); a new version or a
label move needs `can_write` (403); deleting a prompt is its owner's alone.
"""
from django.contrib.auth.decorators import login_required
from django.db.models import Max, Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from chat import pages
from chat.errors import ApiError
from chat.json_views import api, json_object, one_of, query, whole_number
from chat.views import provider_choices
from chat.workbench import prompt_use, prompts, variables
from chat.workbench.models import Prompt, PromptVersion

PAGE_SIZE = 100


def version_item(version: PromptVersion) -> dict:
    return {"id": version.pk, "number": version.number, "messages": version.messages, "settings": version.settings,
            "variables": version.variables, "note": version.note,
            "author": version.author.get_username() if version.author else None, "created": version.created.isoformat()}


def prompt_item(prompt: Prompt, user) -> dict:
    return {"id": prompt.pk, "name": prompt.name, "description": prompt.description, "visibility": prompt.visibility,
            "owner": prompt.owner.get_username(), "updated": prompt.updated.isoformat(),
            "latest": getattr(prompt, "latest", None), "can_write": prompt.can_write(user), "url": f"/prompts/{prompt.pk}/"}


def prompt_detail(prompt: Prompt, user) -> dict:
    versions = [version_item(v) for v in prompt.versions.select_related("author").order_by("number")]
    labels = [{"name": label.name, "version": label.version.number, "moved": label.moved.isoformat(),
               "moved_by": label.moved_by.get_username() if label.moved_by else None}
              for label in prompt.labels.select_related("version", "moved_by")]
    return {"prompt": {**prompt_item(prompt, user), "latest": versions[-1]["number"] if versions else None},
            "versions": versions, "labels": labels, "label_history": prompts.label_history(prompt)}


def listed(user, scope: str, text: str) -> list[Prompt]:
    rows = Prompt.objects.select_related("owner").annotate(latest=Max("versions__number"))
    rows = rows.filter(owner=user) if scope == "mine" else rows.filter(visibility=Prompt.TEAM).exclude(owner=user)
    if text:
        rows = rows.filter(Q(name__icontains=text) | Q(description__icontains=text))
    return list(rows[:PAGE_SIZE])


# Pages ----------------------------------------------------------------------------------------------------

@login_required
def prompts_page(request):
    text = request.GET.get("q", "").strip()[:200]
    lists = [("My prompts", listed(request.user, "mine", text), "None of yours yet: make one below."),
             ("The team's prompts", listed(request.user, "team", text), "No prompts shared by others.")]
    return render(request, "workbench/prompts.html", {"lists": lists, "q": text})


@login_required
def prompt_page(request, prompt_id: int):
    prompt = Prompt.objects.select_related("owner").filter(pk=prompt_id).first()
    if prompt is None or not prompt.can_read(request.user):
        return pages.missing(request, "prompt", "prompts", "Prompts", f"Prompt {prompt_id} does not exist, or it is private.")
    context = {"prompt": prompt, "detail": prompt_detail(prompt, request.user), "pattern": variables.PATTERN.pattern,
               "kinds": variables.KINDS, "providers": provider_choices(request.user)}
    return render(request, "workbench/prompts_detail.html", context)


# JSON -----------------------------------------------------------------------------------------------------

@api
@require_http_methods(["GET", "POST"])
def prompt_list(request):
    """GET: the caller's prompts or the team's (`scope`), `q` searching names; POST: a new prompt and its v1."""
    if request.method == "POST":
        prompt = prompts.create_prompt(request.user, json_object(request))
        return JsonResponse(prompt_detail(prompt, request.user), status=201)
    scope = query(request, "scope", one_of("mine", "team"), "mine")
    text = query(request, "q", default="")
    return JsonResponse({"prompts": [prompt_item(p, request.user) for p in listed(request.user, scope, text)]})


@api
@require_http_methods(["GET", "DELETE"])
def prompt(request, prompt_id: int):
    found = prompts.readable_prompt(request.user, prompt_id)
    if request.method == "GET":
        return JsonResponse(prompt_detail(found, request.user))
    if found.owner_id != request.user.pk:
        raise ApiError(403, "Only the prompt's owner deletes it.")
    found.delete()
    return HttpResponse(status=204)


@api
@require_http_methods(["POST"])
def versions(request, prompt_id: int):
    """A new version: {messages, settings, variables, note}; its number is the last one plus one."""
    found = prompts.writable_prompt(request.user, prompt_id)
    version = prompts.add_version(found, request.user, json_object(request))
    return JsonResponse(version_item(version), status=201)


@api
@require_http_methods(["PUT", "DELETE"])
def label(request, prompt_id: int, name: str):
    """PUT {version}: point the label at that version (audited); DELETE: remove the label (audited)."""
    found = prompts.writable_prompt(request.user, prompt_id)
    if request.method == "DELETE":
        prompts.remove_label(found, name)
    else:
        prompts.move_label(found, request.user, name, json_object(request).get("version"))
    return JsonResponse(prompt_detail(found, request.user))


@api
@require_http_methods(["GET"])
def diff(request, prompt_id: int):
    """?from=&to= (version numbers): the unified diff of their text forms."""
    found = prompts.readable_prompt(request.user, prompt_id)
    old = prompts.version_of(found, number=query(request, "from", whole_number, 1))
    new = prompts.version_of(found, number=query(request, "to", whole_number))
    return JsonResponse({"from": old.number, "to": new.number, "lines": prompt_use.diff(old, new)})


@api
@require_http_methods(["POST"])
def open_prompt(request, prompt_id: int):
    """{version | label, values}: a playground conversation of the caller with the filled prompt (nothing sent)."""
    found = prompts.readable_prompt(request.user, prompt_id)
    data = json_object(request)
    number = data.get("version")
    if number is not None and (isinstance(number, bool) or not isinstance(number, int)):
        raise ApiError(400, "`version` must be a version number.")
    label_name = data.get("label") if isinstance(data.get("label"), str) else None
    version = prompts.version_of(found, number=number, label=label_name)
    return JsonResponse(prompt_use.open_in_playground(request.user, found, version, data.get("values") or {}),
                        status=201)


@api
@require_http_methods(["POST"])
def from_conversation(request):
    """{conversation_id, leaf_id?, name? | prompt_id?, visibility?, note?}: the branch as a new prompt or version."""
    data = json_object(request)
    taken = prompt_use.from_conversation(request.user, data.get("conversation_id"), data.get("leaf_id"))
    target = data.get("prompt_id")
    if target is None:
        created = prompts.create_prompt(request.user, {**data, **taken})
        return JsonResponse(prompt_detail(created, request.user), status=201)
    if isinstance(target, bool) or not isinstance(target, int):
        raise ApiError(400, "`prompt_id` must be a prompt's id.")
    found = prompts.writable_prompt(request.user, target)
    version = prompts.add_version(found, request.user, {"note": data.get("note"), **taken})
    return JsonResponse({**prompt_detail(found, request.user), "version": version_item(version)}, status=201)
