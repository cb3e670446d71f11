"""Events of the reviews layer for the apps above it (social). Sent on commit with the review's id; receivers only
enqueue, and their tasks read the review's current state, so a repeated or late signal does no harm."""

from django.dispatch import Signal

review_published = Signal()  # review_id: the review is published (new, edited, or published by staff)
review_hidden = Signal()  # review_id: a published review is no longer shown (hidden by staff, or pending again)
