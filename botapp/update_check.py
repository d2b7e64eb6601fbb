"""The fields of an update our handlers read, checked for type and size before python-telegram-bot sees it.

`Update.de_json` copies values through unchecked (`chat.id = []`, `text = 5`), and the TypeError then
comes from deep inside a handler or from the Application itself (it hashes chat and user ids) as a 500.
This is not a schema of the Bot API: only what the bot reads is checked, wherever it can appear, and
fields Telegram may add later pass untouched. A missing optional field, or a null one, is fine.
"""

INT64 = 2**63


def integer(low=-INT64, high=INT64 - 1):
    return lambda value: type(value) is int and low <= value <= high


def text(max_length):
    def check(value):
        if type(value) is not str or len(value) > max_length or "\x00" in value:
            return False
        try:
            value.encode("utf-8")  # a lone surrogate is valid JSON but no database takes it
        except UnicodeEncodeError:
            return False
        return True

    return check


def boolean(value):
    return type(value) is bool


def list_of(item, max_items=1000):
    return [item, max_items]


ID = integer()
COUNT = integer(0)
FILE_ID = text(256)
# Telegram's own limits are 4096 characters for a text and 64 bytes for callback data; ours are looser so
# a limit Telegram raises tomorrow is no 400, yet bounded.
TEXT = text(16_384)
NAME = text(1024)
WORD = text(64)

# A name ending in "!" is required.
USER = {"id!": ID, "is_bot": boolean, "first_name": NAME, "last_name": NAME, "username": NAME, "language_code": WORD}
CHAT = {"id!": ID, "type": WORD, "title": NAME, "username": NAME, "first_name": NAME, "last_name": NAME}
ENTITY = {"type!": WORD, "offset!": COUNT, "length!": COUNT}
PHOTO_SIZE = {"file_id!": FILE_ID, "file_unique_id": FILE_ID, "file_size": COUNT, "width": COUNT, "height": COUNT}
DOCUMENT = {"file_id!": FILE_ID, "file_unique_id": FILE_ID, "file_name": NAME, "mime_type": NAME, "file_size": COUNT}
SUCCESSFUL_PAYMENT = {
    "currency!": WORD,
    "total_amount!": COUNT,
    "invoice_payload!": NAME,
    "telegram_payment_charge_id!": NAME,
    "provider_payment_charge_id": NAME,
}
MESSAGE = {
    "message_id!": ID,
    "from": USER,
    "sender_chat": CHAT,
    "chat!": CHAT,
    "text": TEXT,
    "caption": TEXT,
    "entities": list_of(ENTITY),
    "caption_entities": list_of(ENTITY),
    "photo": list_of(PHOTO_SIZE),
    "document": DOCUMENT,
    "successful_payment": SUCCESSFUL_PAYMENT,
}
CALLBACK_QUERY = {"id!": NAME, "from!": USER, "message": MESSAGE, "data": NAME, "chat_instance": NAME}
MEMBER = {"status": WORD, "user": USER}
CHAT_MEMBER_UPDATED = {"chat!": CHAT, "from!": USER, "old_chat_member": MEMBER, "new_chat_member": MEMBER}
PRE_CHECKOUT_QUERY = {"id!": NAME, "from!": USER, "currency!": WORD, "total_amount!": COUNT, "invoice_payload!": NAME}
# Any other kind of update: python-telegram-bot still reads its user and chat (effective_user/chat).
OTHER = {"from": USER, "user": USER, "chat": CHAT, "sender_chat": CHAT, "voter_chat": CHAT, "actor_chat": CHAT}
KINDS = {
    "message": MESSAGE,
    "edited_message": MESSAGE,
    "channel_post": MESSAGE,
    "edited_channel_post": MESSAGE,
    "business_message": MESSAGE,
    "edited_business_message": MESSAGE,
    "callback_query": CALLBACK_QUERY,
    "my_chat_member": CHAT_MEMBER_UPDATED,
    "chat_member": CHAT_MEMBER_UPDATED,
    "pre_checkout_query": PRE_CHECKOUT_QUERY,
}


def problem(update):
    """The dotted path of the first field of `update` (a dict) our handlers could not use, or None."""
    for kind, value in update.items():
        spec = KINDS.get(kind, OTHER if isinstance(value, dict) else None)
        found = spec and _problem(value, spec, kind)
        if found:
            return found
    return None


def _problem(value, spec, path):
    if value is None:
        return None
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            return path
        for name, field_spec in spec.items():
            key = name.rstrip("!")
            if name.endswith("!") and value.get(key) is None:
                return f"{path}.{key}"
            found = _problem(value.get(key), field_spec, f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(spec, list):
        item, max_items = spec
        if not isinstance(value, list) or len(value) > max_items:
            return path
        for index, element in enumerate(value):
            found = f"{path}[{index}]" if element is None else _problem(element, item, f"{path}[{index}]")
            if found:
                return found
        return None
    return None if spec(value) else path
