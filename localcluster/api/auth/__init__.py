"""Authentication (bearer tokens -> users, anonymous requests) and authorization (RBAC over the stored
Roles, ClusterRoles and bindings, or allow-all) for every API request. See identity.py, attributes.py,
rbac.py and bootstrap.py."""

from .attributes import Attributes, request_attributes
from .identity import ANONYMOUS, Authenticator, User
from .rbac import AllowAll, Authorizer, Decision, RBACAuthorizer, forbidden

__all__ = [
    "ANONYMOUS",
    "AllowAll",
    "Attributes",
    "Authenticator",
    "Authorizer",
    "Decision",
    "RBACAuthorizer",
    "User",
    "forbidden",
    "request_attributes",
]
