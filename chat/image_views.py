"""POST /api/images (upload an image to attach), GET /api/images/<id> (the image, to those who may read it) and
POST /api/images/generations (image mode: images made from a prompt, stored in a conversation)."""
from django.conf import settings
from django.http import FileResponse, JsonResponse
from django.views.decorators.http import require_GET, require_POST

from chat import image_generation, images
from chat.db import db
from chat.errors import ApiError
from chat.json_views import api, found, json_object
from chat.models import Attachment


FORM_OVERHEAD = 64 * 1024  # bytes of a multipart body that are not the image (boundaries, headers)


@require_POST
@api
def upload(request):
    """A multipart form with one file, `image`; 201 with {id, url, width, height, content_type, size}."""
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared.isdigit() and int(declared) > settings.PLAYGROUND_MAX_IMAGE_BYTES + FORM_OVERHEAD:
        raise ApiError(400, images.too_large(int(declared)))  # refused before the body is read at all
    uploaded = request.FILES.get("image")
    if uploaded is None:
        raise ApiError(400, "Send the image as the multipart field `image`.")
    if uploaded.size > settings.PLAYGROUND_MAX_IMAGE_BYTES:  # refused before it is read into memory
        raise ApiError(400, images.too_large(uploaded.size))
    attachment = images.store(request.user, uploaded.read(), uploaded.content_type)
    return JsonResponse(images.summary(attachment), status=201)


@require_GET
@api
def image(request, attachment_id: int):
    row = found(Attachment.objects.select_related("conversation"), "No such image.", pk=attachment_id)
    if not row.can_read(request.user):
        raise ApiError(404, "No such image.")
    response = FileResponse(row.file.open("rb"), content_type=row.content_type)
    response["Cache-Control"] = "private, max-age=86400"
    response["Content-Disposition"] = "inline"
    return response


@require_POST
@api
async def generate(request):
    """{conversation_id?, parent_id?, provider, model, prompt, size, n, visibility?}: the prompt and the reply with its
    images, 201; a provider's failure answers its error (429, 504 or 502) with both messages, the prompt kept."""
    ask = image_generation.parse(json_object(request))
    turn = await db(image_generation.start)(await request.auser(), ask)
    data, status = image_generation.answer(turn, *await image_generation.run(turn))
    return JsonResponse(data, status=status)
