"""The /api/v1 app without Ray Serve, for uvicorn (``uvicorn --factory lwmecps.serve.direct:app``).

Used by ``lwmecps bench api`` as the baseline that Serve's overhead is measured against.
"""
from lwmecps.platform.services.container import Services
from lwmecps.platform.settings import get_settings

from .api.app import create_app


def app():
    return create_app(Services(get_settings()))
