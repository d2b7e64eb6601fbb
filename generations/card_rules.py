"""What the marketplaces forbid in the text we put on a card or a video cover (docs/marketplaces.md).

Wildberries and Ozon refuse images with prices, discounts, calls to buy, contacts, links or watermarks;
`problems` finds those fragments in the seller's title and selling points so that the seller can be told
which words to change before anything is charged. Product facts with numbers ("350 мл", "Сталь 304",
"2 в 1", "100% хлопок") are not prices and pass.
"""

import re

_WORD = r"(?<![\w@.])"  # starts a word (not inside an e-mail, a domain or a handle)
_END = r"(?![\w])"

_PATTERNS = [
    # E-mails first: their parts would otherwise count as a handle and a domain.
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",
    # Links and bare domains.
    r"(?:https?://|www\.)\S+",
    _WORD + r"[\w-]+\.(?:ru|рф|com|net|org|su|shop|store|online|site|io|me|info|biz|pro)" + _END,
    # Telegram/Instagram handles.
    r"(?<![\w.])@\w{3,}",
    # Phone numbers: at least ten digits with the usual separators.
    r"(?<!\w)\+?\d(?:[\s\-()]*\d){9,13}(?!\w)",
    # Amounts of money: "990 ₽", "1 500 руб.", "99 р.", "$20", "15 €", "10 долларов".
    r"\d[\d\s]*(?:[.,]\d+)?\s*(?:₽|\$|€|руб(?:лей|ля|ль)?\.?|р\.|rub|usd|eur|евро|доллар\w*)" + r"(?!\w)",
    r"(?:₽|\$|€)\s*\d[\d\s]*(?:[.,]\d+)?",
    # Discounts: "-50%", "−30 %", "50% off", "скидка 20%".
    r"[-−–]\s*\d+\s*%",
    r"\d+\s*%\s*(?:off|скидк\w*)" + _END,
    _WORD + r"(?:скидк\w*|распродаж\w*|акци(?:я|и|ю|ей)|уценк\w*|промокод\w*|кешб[эе]к\w*|кэшб[эе]к\w*|бесплатн\w*"
    r"|цен[аеуы]|дешевле|sale|discount\w*|promo|promo\s*code|cashback|price\w*|cheap\w*)" + _END,
    # Calls to buy, to call, to follow a link.
    _WORD + r"(?:купи|купите|купить|покупай|покупайте|закажи|закажите|заказать|заказывай|заказывайте|успей|успейте"
    r"|звони|звоните|позвони|позвоните|переходи|переходите|перейди|перейдите|пиши|пишите|напиши|напишите"
    r"|жми|жмите|подпишись|подпишитесь)" + _END,
    r"(?:добав\w*\s+)?в\s+корзину",
    _WORD + r"(?:buy|order\s+now|shop\s+now|call|hurry|click|visit|subscribe|add\s+to\s+(?:cart|basket))" + _END,
]
_RULES = re.compile("|".join(f"(?:{pattern})" for pattern in _PATTERNS), re.IGNORECASE)


def problems(texts):
    """The fragments of `texts` (a title and points) that break the marketplaces' rules, in order, once each."""
    found = []
    for text in texts:
        for match in _RULES.finditer(str(text or "")):
            fragment = match.group(0).strip(" ,;")
            if fragment and fragment.lower() not in (seen.lower() for seen in found):
                found.append(fragment)
    return found
