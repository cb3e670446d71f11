from django.dispatch import Signal

# A text message to the official account that is not a link code, sent after the webhook's transaction commits.
# Arguments: line_user_id, user (the linked shop user or None), text, event (the webhook event dict).
# Receivers (e.g. support inquiries) only enqueue a task, as everywhere else.
line_message_received = Signal()
