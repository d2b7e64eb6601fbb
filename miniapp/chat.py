"""A step of the bot's conversation started from the Mini App, as if the seller had pressed a button in the chat.

It runs as the bot runs a step (botapp.turns): in one transaction holding the user's flow row lock, so it
never interleaves with an update of the same user being handled, and it only records what to say; the
replies go to the chat after commit, through the paced sender, so no lock is held across a call to Telegram.
"""

import logging

from django.db import transaction
from django.utils import translation

from botapp.models import FlowState
from botapp.turns import Outcome, Turn
from messaging import sender

log = logging.getLogger(__name__)


def run_step(user, step, *args):
    """Run `step(turn, *args)` for this user under their lock, then send what it said. Returns the Outcome."""
    outcome = Outcome(chat_id=user.telegram_id)
    with transaction.atomic():
        # Every user the API knows has one (their first update made it); get_or_create copes with one that doesn't.
        FlowState.objects.get_or_create(user=user)
        flow = FlowState.objects.select_related("user").select_for_update().get(user=user)
        turn = Turn(user=flow.user, flow=flow, update=None, outcome=outcome)
        with translation.override(flow.user.language):
            step(turn, *args)
        flow.save()
    for reply in outcome.replies:
        if reply.media is not None or reply.invoice is not None:
            # The steps started from here ("make another") only ask questions; anything else is a bug to see.
            log.error("user %s: a Mini App step wanted to send media or an invoice; not sent", user.pk)
            continue
        sender.send_message(outcome.chat_id, reply.text, markup=reply.markup)
    return outcome
