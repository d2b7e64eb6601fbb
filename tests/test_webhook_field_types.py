"""Fields python-telegram-bot copies through unchecked, of the wrong type or size: 400, and nothing done."""

import copy

import pytest

from accounts.models import TelegramUser
from botapp.models import ProcessedUpdate
from tests.chat import fixture

CASES = [
    ("start", ["message", "chat", "id"], []),
    ("start", ["message", "chat", "id"], 2**63),
    ("start", ["message", "from", "id"], "x"),
    ("start", ["message", "from", "first_name"], 5),
    ("start", ["message", "from", "language_code"], ["ru"]),
    ("start", ["message", "text"], 5),
    ("start", ["message", "text"], "я" * 20_000),
    ("start", ["message", "text"], "/start\x00"),
    ("start", ["message", "entities", 0, "length"], "6"),
    ("photo", ["message", "photo"], "x"),
    ("photo", ["message", "photo"], ["x"]),
    ("photo", ["message", "photo", 3, "file_id"], 7),
    ("photo", ["message", "photo", 3, "file_size"], "big"),
    ("document_image", ["message", "document", "mime_type"], {"type": "image/png"}),
    ("document_image", ["message", "document", "file_size"], -1),
    ("photo_with_caption", ["message", "caption"], ["Кружка"]),
    ("callback_query", ["callback_query", "data"], {}),
    ("callback_query", ["callback_query", "from", "id"], 1.5),
    ("callback_query", ["callback_query", "message", "chat", "id"], True),
    ("my_chat_member_kicked", ["my_chat_member", "new_chat_member", "status"], 3),
    ("successful_payment", ["message", "successful_payment", "total_amount"], "150"),
    ("successful_payment", ["message", "successful_payment", "invoice_payload"], None),
    ("pre_checkout_query", ["pre_checkout_query", "total_amount"], [150]),
    ("pre_checkout_query", ["pre_checkout_query", "from"], "anna"),
]


def mutated(name, path, value):
    update = copy.deepcopy(fixture(name))
    target = update
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return update


@pytest.mark.parametrize("name, path, value", CASES, ids=[".".join(map(str, path)) for _, path, _ in CASES])
def test_it_answers_400_to_a_field_of_the_wrong_type_or_size(chat, name, path, value):
    response = chat.post(mutated(name, path, value))

    assert response.status_code == 400
    assert not ProcessedUpdate.objects.exists() and not TelegramUser.objects.exists()
    assert chat.telegram.requests() == []


def test_it_lets_fields_it_does_not_read_through(chat):
    update = mutated("start", ["message", "chat", "something_new"], {"x": [1, "y"]})
    update["message"]["from"]["is_premium"] = "maybe"

    assert chat.post(update).status_code == 200
    assert chat.sent()
