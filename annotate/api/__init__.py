"""The REST API, /api/v1/: another door into the same rooms as the web screens.

Built on django-ninja: the views are typed functions, and the OpenAPI description
(/api/v1/openapi.json, browsable at /api/v1/docs) is generated from those types. Every
view asks annotate.access, as the web does, and calls the same domain functions
(the loader, the labelling changes, review, exports); nothing here is a second
implementation of them.

- ``core``: the API object, authentication (personal tokens or the session with
  CSRF), the write rate limit, and every error as JSON.
- ``schemas``: what goes in and comes out.
- ``projects``, ``documents`` (with ``bulk``, the streamed bulk create),
  ``annotations``, ``predictions``, ``exports``, ``webhooks``: the resources.
- ``urls``: the routes, mounted at /api/v1/.

Layer 8, with the views.
"""
