"""Values of the engine's own buttons; a leading underscore keeps them apart from a flow's options."""

from __future__ import annotations

DONE, SKIP, HUMAN, KEEP, BACK = "_done", "_skip", "_human", "_keep", "_back"
CONFIRM, CHANGE, YES, NO = "_confirm", "_change", "_yes", "_no"
ADD_MEMBER, REMOVE_MEMBER = "_add_member", "_remove_member"
# After submitting: start another application.
NEW_APPLICATION = "_new_application"
# Edit menu entries: a question by state, a member by index.
QUESTION_PREFIX, MEMBER_PREFIX = "q:", "m:"
# An answer proposed for confirmation ("record it as ¥800?"): record it, or ask the question again.
ACCEPT, RETYPE = "_accept", "_retype"
# A summary part's change button: CHANGE_PREFIX + the part's name.
CHANGE_PREFIX = "_change:"
