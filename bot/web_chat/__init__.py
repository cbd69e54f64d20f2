"""The resident web chat (``/chat``): the conversation engine over a web page.

A page with large text and real buttons that works without JavaScript: every message is a form
post answered by a redirect back to the page. Residents are known by a signed cookie; the web
cannot push, so status updates wait and are shown when the resident comes back.
"""
