"""The web screens, one module per screen; ``htmx`` holds the response helpers every
htmx screen shares and ``forms`` the forms that check what a screen posts.

May import anything below it in annotate; nothing in annotate imports views (but urls).
"""
