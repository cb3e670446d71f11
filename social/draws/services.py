"""Writes for prize draws: entering (once, within the period, meeting the rule) and drawing the winners (once, from a
seed recorded before the draw, audited, winners notified through the outbox)."""

import datetime
import logging
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from shop.notifications.selectors import site_url
from shop.notifications.services import notification_enqueue

from . import selectors
from .exceptions import DrawError
from .models import Draw, DrawAudit, DrawEntry, DrawWinner

logger = logging.getLogger(__name__)

NOTICE_KIND = "draw_won"


def draw_enter(*, draw: Draw, user, now: datetime.datetime | None = None) -> DrawEntry:
    """One entry per member, only while the draw is open and only if the member meets its rule."""
    now = now or timezone.now()
    if not getattr(user, "is_authenticated", False) or not user.is_active or user.anonymised_at:
        raise DrawError(_("Sign in to enter."))
    if draw.status != Draw.Status.PUBLISHED:
        raise DrawError(_("This draw is closed."))
    if now < draw.starts_at:
        opens = date_format(timezone.localtime(draw.starts_at), "DATETIME_FORMAT")
        raise DrawError(_("Entries open on %(date)s. Please come back then.") % {"date": opens})
    if now > draw.ends_at:
        raise DrawError(_("Entries for this draw have closed. Thank you for your interest."))
    if DrawEntry.objects.filter(draw=draw, user=user).exists():
        raise DrawError(_("You have already entered this draw. One entry per person."))
    if not selectors.draw_rule_met(draw=draw, user=user, now=now):
        raise DrawError(selectors.draw_rule_unmet_message(draw=draw))
    try:
        with transaction.atomic():
            return DrawEntry.objects.create(draw=draw, user=user, created_at=now)
    except IntegrityError:  # two clicks at once: the first one counted
        raise DrawError(_("You have already entered this draw. One entry per person.")) from None


def draw_perform(*, draw_id: int, actor=None, now: datetime.datetime | None = None) -> list[DrawWinner]:
    """Draws the winners once: after the entries close, from the draw's seed (a random 64-bit one is stored first
    when staff set none), writes the audit record and notifies each winner (kind "draw_won")."""
    now = now or timezone.now()
    with transaction.atomic():
        draw = Draw.objects.select_for_update().filter(pk=draw_id).first()
        if draw is None:
            raise DrawError(_("This draw does not exist."))
        if draw.status == Draw.Status.DRAWN or DrawAudit.objects.filter(draw=draw).exists():
            raise DrawError(_("The winners of this draw have already been drawn; a draw cannot be repeated."))
        if draw.status != Draw.Status.PUBLISHED:
            raise DrawError(_("Publish the draw before drawing its winners."))
        if now <= draw.ends_at:
            raise DrawError(_("Entries are still open: draw the winners after the draw ends."))
        if not draw.seed:
            draw.seed = str(secrets.randbits(64))
            draw.save(update_fields=["seed"])
        entry_ids = list(DrawEntry.objects.filter(draw=draw).order_by("id").values_list("id", flat=True))
        chosen = selectors.winners_from_seed(entry_ids=entry_ids, seed=int(draw.seed), count=draw.winners_count)
        entries = DrawEntry.objects.select_related("user").in_bulk(chosen)
        winners = [
            DrawWinner.objects.create(draw=draw, entry=entries[pk], user=entries[pk].user, position=position)
            for position, pk in enumerate(chosen, start=1)
        ]
        DrawAudit.objects.create(
            draw=draw,
            drawn_by=actor,
            drawn_at=now,
            seed=draw.seed,
            entry_count=len(entry_ids),
            entry_ids_hash=selectors.entry_ids_hash(entry_ids),
            winner_entry_ids=chosen,
            method=selectors.METHOD,
        )
        draw.status, draw.drawn_at, draw.drawn_by = Draw.Status.DRAWN, now, actor
        draw.save(update_fields=["status", "drawn_at", "drawn_by"])
        for winner in winners:
            _notify(draw=draw, winner=winner, now=now)
    logger.info("Draw %s: %s winners from %s entries (seed %s)", draw.pk, len(winners), len(entry_ids), draw.seed)
    return winners


def _notify(*, draw: Draw, winner: DrawWinner, now: datetime.datetime) -> None:
    rows = notification_enqueue(
        kind=NOTICE_KIND,
        user=winner.user,
        context={"draw_title": draw.title, "prize": draw.prize, "url": site_url() + draw.get_absolute_url()},
        dedupe_key=f"{NOTICE_KIND}:{draw.pk}:{winner.user_id}",
        source=f"draw:{draw.pk}",
        now=now,
    )
    if rows:
        winner.notified_at = now
        winner.save(update_fields=["notified_at"])
