"""What a submit sends the provider: the prompt (written by the prompt writer, or a template's when it is
down) and the product photo (fetched from Telegram once, then stored). Both are saved on the row, so a retry
reuses them."""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from generations import prompts
from generations.models import Generation, GenerationEvent
from generations.providers.base import TEMPORARY, USER, ProviderError
from messaging import alerts, sender


def prompt(generation, provider):
    """The generation's prompt, written once (a retry keeps it) and saved on the row."""
    if generation.final_prompt:
        return generation.final_prompt  # a retry keeps the prompt already written
    limit = provider.max_prompt_length(generation.kind, generation.model)
    try:
        prompt, source = prompts.write_prompt(generation, max_length=limit)
    except prompts.PromptWriterDown as error:
        alerts.alert_operators("openai:down", f"The prompt writer is down: {error}. Template prompts are used.")
        prompt, source = prompts.fallback_prompt(generation, max_length=limit), "template"
    else:
        if source == "openai":
            alerts.resolve("openai:down")
    Generation.objects.filter(pk=generation.pk).update(final_prompt=prompt)
    generation.final_prompt = prompt
    GenerationEvent.objects.create(generation_id=generation.pk, kind="prompt", detail=source)
    return prompt


def reference_photo(generation):
    """The product photo, downloaded from Telegram by us once (its link holds the bot token) and stored."""
    if generation.reference_image:
        with default_storage.open(generation.reference_image.name, "rb") as file:
            return file.read()
    try:
        content = sender.fetch_file(generation.reference_file_id)
    except sender.FileError as error:
        # The user must send another photo (too big, unknown to Telegram), or Telegram failed for now.
        raise ProviderError(USER if error.permanent else TEMPORARY, str(error)) from None
    generation.reference_image.save("photo.jpg", ContentFile(content), save=False)
    Generation.objects.filter(pk=generation.pk).update(reference_image=generation.reference_image.name)
    # Other generations of the order share the photo: store it once for all of them.
    Generation.objects.filter(order_id=generation.order_id, reference_image="").update(
        reference_image=generation.reference_image.name
    )
    return content
