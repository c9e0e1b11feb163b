"""The whole workbench loop as one person does it in the browser, with nothing made through the models: write a
prompt with two variables and save it twice, import a 20-row CSV with its column mapping, attach three evaluators
(one an LLM judge on a loopback fake answering a score), run v1 and v2 on two models, run again, compare the two run
sets, rate an output, and add a chat reply to the dataset. Desktop light, then phone dark; the desktop pass takes
the screenshots of docs/experiments.md."""
from pathlib import Path
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from chat.workbench import datasets
from chat.workbench.models import Dataset, Rating
from providers.models import ProviderModel
from tests.browser.conftest import axe_violations
from tests.conftest import loopback_provider
from tests.fakes.openai import OpenAIFake
from tests.fakes.script import Reply

pytestmark = pytest.mark.django_db(transaction=True)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "images"
SIZES = {"desktop": (1600, 1000, "light"), "phone": (390, 844, "dark")}
CSV = "question,tone,answer,kind\n" + "".join(
    f'"Capital of country {n}?",{"plain" if n % 2 else "warm"},City {n},{"easy" if n % 2 else "hard"}\n'
    for n in range(1, 21))


@pytest.fixture
def fakes():
    """The models' fake (two models on one provider) and the judge's fake (a third provider)."""
    runs, judge = OpenAIFake(), OpenAIFake()
    runs.default_reply = Reply.text_of("City 1", pieces=2)
    judge.default_reply = Reply.text_of('{"score": 4, "reason": "Names a city, plainly."}')
    tag = uuid4().hex[:6]
    models = loopback_provider(runs.base_url, slug=f"models-{tag}", name="Models", display_name="Fast model")
    ProviderModel.objects.create(provider=models, model_id="fake-model-mini", display_name="Small model", input_price_per_mtok=1,
                         output_price_per_mtok=2)
    loopback_provider(judge.base_url, slug=f"judge-{tag}", name="Judge", display_name="Judge model")
    runs.slug = models.slug
    yield runs, judge
    runs.close()
    judge.close()


def clean(page, where: str):
    assert axe_violations(page) == [], where
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), f"{where} scrolls sideways"


def shoot(page, locator, name: str, size: str):
    if size == "desktop":
        DOCS.mkdir(exist_ok=True)
        page.mouse.move(0, 0)
        locator.screenshot(path=str(DOCS / f"loop-{name}.png"))


@pytest.mark.parametrize("size", SIZES)
def test_the_whole_workbench_loop_in_the_browser(signed_in, alice, fakes, tmp_path, size):
    runs_fake, judge_fake = fakes
    width, height, scheme = SIZES[size]
    page = signed_in(alice, viewport={"width": width, "height": height}, color_scheme=scheme)

    # 1. a prompt with two variables, saved twice
    page.goto("/prompts/")
    clean(page, "prompts")
    page.get_by_label("Name", exact=True).fill("Capitals")
    page.get_by_label("System message").fill("Answer in a {{tone}} tone.")
    page.get_by_label("User message").fill("{{question}}")
    page.get_by_role("button", name="Create prompt").click()
    expect(page.locator("#prompt-name")).to_have_text("Capitals")
    kinds = page.get_by_role("list", name="Variable types")
    expect(kinds.locator("li")).to_have_count(2)
    page.get_by_label("Message 1 text").fill("Answer in a {{tone}} tone, with the city's name only.")
    page.get_by_label("Provider").select_option(runs_fake.slug)  # for the playground; a run uses its own models
    page.get_by_label("Model", exact=True).fill("fake-model")
    page.get_by_label("Note for this version").fill("city only")
    page.get_by_role("button", name="Save as new version").click()
    expect(page.locator("#status")).to_have_text("Saved v2.")
    expect(page.get_by_role("region", name="Version list").locator("tbody tr")).to_have_count(2)
    expect(page.get_by_label("Version or label")).to_have_value("version:2")  # the newest, until one is picked
    clean(page, "prompt editor")
    shoot(page, page.locator("main"), "prompt", size)
    prompt_url = page.url

    # 2. a 20-row CSV imported with its column mapping
    page.goto("/datasets/")
    clean(page, "datasets")
    page.get_by_label("Name").fill(f"Capitals quiz {size}")
    page.get_by_label("Variables").fill("question, tone")
    page.get_by_role("button", name="Create dataset").click()
    page.wait_for_url("**/datasets/*/")
    csv = tmp_path / "capitals.csv"
    csv.write_text(CSV)
    page.get_by_role("button", name="Import").click()
    dialog = page.get_by_role("dialog", name="Import rows")
    dialog.get_by_label("File", exact=True).set_input_files(str(csv))
    expect(dialog.get_by_role("status")).to_contain_text("20 rows found (CSV)")
    dialog.get_by_label("Column question is").select_option("question")
    dialog.get_by_label("Column tone is").select_option("tone")
    dialog.get_by_label("Column answer is").select_option("expected")
    dialog.get_by_label("Column kind is").select_option("tags")
    clean(page, "import dialog")
    shoot(page, dialog, "import", size)
    dialog.get_by_role("button", name="Import rows").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#rows tbody tr")).to_have_count(20)
    dataset = Dataset.objects.get(name=f"Capitals quiz {size}")
    assert datasets.rows_at(dataset).first().values == {"question": "Capital of country 1?", "tone": "plain"}

    # 3. the experiment: v1 and v2 × two models × the dataset, three evaluators
    page.goto("/experiments/")
    clean(page, "experiments")
    page.get_by_label("Name").fill(f"Capitals {size}")
    page.get_by_label("Capitals v1").check()
    page.get_by_label("Capitals v2").focus()
    page.keyboard.press("Space")  # by keyboard
    page.get_by_label("Models · Fast model").check()
    page.get_by_label("Models · Small model").check()
    page.get_by_label("Repeats").fill("1")
    page.get_by_label("At once per provider").fill("8")
    page.get_by_label("Dataset").select_option(label=f"Capitals quiz {size} (version 2)")
    kind, config = page.get_by_label("Kind"), page.get_by_label("Its config")
    kind.select_option(label="Equals")  # no value: the row's expected output
    page.get_by_role("button", name="Add evaluator").click()
    kind.select_option(label="Contains")
    config.fill('{"name": "says city", "value": "City"}')
    page.get_by_role("button", name="Add evaluator").click()
    page.get_by_label("Judge · Judge model").check()  # the judge's model, ticked first so its config is filled in
    kind.select_option(label="LLM judge")
    assert '"provider": "judge-' in config.input_value() and '"model": "fake-model"' in config.input_value()
    page.get_by_label("Judge · Judge model").uncheck()  # it judges; it is not one of the models compared
    page.get_by_role("button", name="Add evaluator").click()
    attached = page.get_by_role("list", name="Attached evaluators")
    expect(attached.locator("li")).to_have_count(3)
    remove = attached.get_by_role("button", name="Remove evaluator judge").bounding_box()
    assert remove["width"] > remove["height"], "the Remove button beside a long config is squeezed to a column"
    clean(page, "experiment form")
    shoot(page, page.locator("#workbench-fields").locator(".."), "form", size)
    page.get_by_role("button", name="Create experiment").click()
    page.wait_for_url("**/experiments/*/")
    page.wait_for_selector("#connection[data-state=online]")

    # 4. run: 2 versions × 2 models × 20 rows
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_selector("#progress-text[data-status=complete]", timeout=60_000)
    expect(page.locator("#progress-text")).to_have_text("80 / 80 runs · complete")
    matrix = page.locator("#matrix tbody tr")
    expect(matrix).to_have_count(4)
    heads = page.locator("#matrix thead th").all_text_contents()
    assert heads[:5] == ["Version · model", "equals pass", "says city pass", "judge pass", "All pass"]
    assert matrix.nth(0).locator("td").all_text_contents()[:4] == ["5%", "100%", "100%", "68.3%"]
    assert len(judge_fake.chat_requests()) == 80
    for request in runs_fake.chat_requests():  # sent 8 at a time, in any order: each with its own row's variables
        system, question = request.body["messages"][0]["content"], request.body["messages"][-1]["content"]
        row = int(question.removeprefix("Capital of country ").removesuffix("?"))
        assert system.startswith(f"Answer in a {'plain' if row % 2 else 'warm'} tone")
    clean(page, "results")
    shoot(page, page.locator("#matrix-panel"), "matrix", size)

    # 5. run again with a changed model, compare the two run sets
    runs_fake.default_reply = Reply.text_of("City 2")  # now right on row 2, wrong on row 1
    page.get_by_role("button", name="Run again").click()
    page.wait_for_selector("#batch option[value='2']", state="attached")
    page.wait_for_selector("#progress-text[data-status=complete]", timeout=60_000)
    expect(page.locator("#compare-panel")).to_be_visible()
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("#compare-rows li")).to_have_count(2)
    assert page.locator("#compare-rows li").all_text_contents() == [
        'Regressed: {"question":"Capital of country 1?","tone":"plain"} [easy]: 100% → 66.7%',
        'Improved: {"question":"Capital of country 2?","tone":"warm"} [hard]: 66.7% → 100%']
    expect(page.locator("#compare-summary")).to_contain_text("#2 against #1, over 20 rows")
    clean(page, "compare")
    shoot(page, page.locator("#compare-panel"), "compare", size)

    # rate an output, from the outputs side by side, by keyboard
    page.get_by_label("Failures only").check()
    first = page.locator("#side tbody tr").first
    expect(first.locator("th")).to_contain_text("Capital of country 1?")
    first.get_by_role("button", name="Rate run").first.focus()
    page.keyboard.press("Enter")
    review = page.get_by_role("dialog", name="Rate this output")
    review.get_by_role("button", name="Thumbs down").click()
    review.get_by_label("Score").select_option("2")
    review.get_by_label("Comment").fill("City 2 is not the capital of country 1.")
    review.get_by_role("button", name="Save rating").click()
    expect(review.locator(".review-tally")).to_have_text("0 👍 · 1 👎 · mean score 2 · 1 reviewer")
    clean(page, "rating dialog")
    shoot(page, review, "rate", size)
    page.keyboard.press("Escape")
    expect(review).to_be_hidden()
    rating = Rating.objects.get(reviewer=alice)
    assert rating.run.output == "City 2" and rating.thumbs is False and rating.score == 2

    # a chat reply added to the dataset: v2 opened in the playground, sent, reviewed
    page.goto(prompt_url)
    expect(page.get_by_label("Version or label")).to_have_value("version:2")
    page.get_by_role("textbox", name="{{tone}}", exact=True).fill("plain")
    page.get_by_role("textbox", name="{{question}}", exact=True).fill("Capital of Chad?")
    page.get_by_role("button", name="Open in the playground").click()
    page.wait_for_url("**/c/*/")
    page.wait_for_selector("#connection[data-state=online]")
    runs_fake.enqueue(Reply.text_of("N'Djamena"))
    composer = page.get_by_label("Message", exact=True)
    expect(composer).to_have_value("Capital of Chad?")  # the last user message waits in the box, unsent
    composer.press("Enter")
    expect(page.locator("article.msg-assistant .msg-body")).to_have_text("N'Djamena")
    page.locator("article.msg-assistant").get_by_role("button", name="Review this reply").click()
    chat_review = page.get_by_role("dialog", name="Review this reply")
    chat_review.get_by_role("button", name="Thumbs up").click()  # at once: the dialog waits for the stored rating
    expect(chat_review.get_by_role("button", name="Thumbs up")).to_have_attribute("aria-pressed", "true")
    chat_review.get_by_role("button", name="Save rating").click()
    expect(chat_review.get_by_text("Rating saved.")).to_be_visible()
    chat_review.get_by_label("Dataset", exact=True).select_option(label=f"Capitals quiz {size} (20 rows)")
    chat_review.get_by_label("Tags (comma-separated)").fill("chat")
    chat_review.get_by_role("button", name="Add to dataset").click()
    expect(chat_review.get_by_text(f"Added to Capitals quiz {size} (version 3).")).to_be_visible()
    page.mouse.move(0, 0)
    clean(page, "chat review dialog")
    shoot(page, chat_review, "chat-to-dataset", size)
    chat_review.get_by_role("link", name=f"Open Capitals quiz {size}").click()
    expect(page.locator("#rows tbody tr")).to_have_count(21)
    expect(page.locator("#rows tbody tr").last).to_contain_text("N'Djamena")
    clean(page, "dataset with the chat row")
    added = datasets.rows_at(dataset).last()
    assert added.values["question"] == "Capital of Chad?" and added.expected == "N'Djamena" and added.tags == ["chat"]
    assert page.console_errors == []
