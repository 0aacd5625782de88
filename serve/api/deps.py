"""Dependencies of the routes: the services and the bearer-token roles."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from lwmecps.platform.auth import role_of
from lwmecps.platform.services.container import Services

_bearer = HTTPBearer(auto_error=False, description="API token: `lwmecps token create --role admin|read`")


_services: Services | None = None


def set_services(services: Services) -> None:
    """The process's services. A module global, not ``app.state``: Ray Serve runs a pickled copy of
    the app in each replica, so the replica's constructor cannot reach the app object it serves."""
    global _services
    _services = services


def get_services(request: Request) -> Services:
    services = _services or request.app.state.services
    if services is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the API is starting")
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def current_role(services: ServicesDep,
                 credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str:
    """401 without a bearer token or with an unknown one."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing bearer token: send 'Authorization: Bearer <token>'",
                            headers={"WWW-Authenticate": "Bearer"})
    role = role_of(credentials.credentials, services.store.tokens, services.settings)
    if role is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid token", headers={"WWW-Authenticate": "Bearer"})
    return role


def require_admin(role: Annotated[str, Depends(current_role)]) -> str:
    """403 for a read-only token on a route that changes something."""
    if role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this token is read-only; an admin token is needed")
    return role


ReadRole = Annotated[str, Depends(current_role)]
AdminRole = Annotated[str, Depends(require_admin)]
