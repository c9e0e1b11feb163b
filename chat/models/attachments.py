"""Images people attach to their messages, validated and re-encoded on upload (`chat/images.py`)."""
from django.conf import settings
from django.db import models
from django.db.models.signals import post_delete
from django.dispatch import receiver


class Attachment(models.Model):
    """One uploaded image. It belongs to its owner until a message uses it, then to that conversation too."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey("chat.Conversation", null=True, blank=True, on_delete=models.CASCADE,
                                      related_name="attachments", help_text="The conversation whose messages use it.")
    file = models.FileField(upload_to="images/%Y/%m/")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(help_text="Bytes, as stored (re-encoded, without metadata).")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"image #{self.pk} ({self.width}×{self.height})"

    def can_read(self, user) -> bool:
        """Its owner, and whoever may read the conversation that uses it."""
        return self.owner_id == user.pk or (self.conversation is not None and self.conversation.can_read(user))

    def reference(self) -> dict:
        """What a message stores of it (and its summary shows, with the url)."""
        return {"id": self.pk, "width": self.width, "height": self.height}


@receiver(post_delete, sender=Attachment)
def _remove_file(instance: Attachment, **kwargs) -> None:
    """A deleted image (its owner's account or its conversation deleted) leaves nothing behind in storage."""
    instance.file.delete(save=False)


def image_url(attachment_id: int) -> str:
    return f"/api/images/{attachment_id}"
