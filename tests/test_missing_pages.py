"""A page whose object does not exist (or is someone else's private one) is one 404 page saying so, with a way back."""
import pytest


@pytest.mark.parametrize("path, what, back", [("/prompts/999/", "prompt", "/prompts/"),
                                              ("/datasets/999/", "dataset", "/datasets/"),
                                              ("/experiments/999/", "experiment", "/experiments/")])
def test_a_missing_page_says_what_is_missing_and_links_back(client, alice, path, what, back):
    client.force_login(alice)
    page = client.get(path)
    assert page.status_code == 404
    text = page.content.decode()
    assert f"<h1>No such {what}</h1>" in text and f"{what.capitalize()} 999 does not exist" in text
    assert f'href="{back}"' in text


def test_someone_elses_private_prompt_is_the_same_404(client, alice, bob):
    from chat.workbench.models import Prompt

    private = Prompt.objects.create(owner=bob, name="Secret", visibility=Prompt.PRIVATE)
    client.force_login(alice)
    page = client.get(f"/prompts/{private.pk}/")
    assert page.status_code == 404 and "Secret" not in page.content.decode()
