# Flask-Login 0.6.3: the names blogsite uses (see typings/README.md).
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from blinker import NamedSignal
from flask import Flask

_F = TypeVar("_F", bound=Callable[..., Any])
_L = TypeVar("_L", bound=Callable[[str], Any])

# A proxy to the loaded user, or to an AnonymousUserMixin: either one, so Any.
current_user: Any

user_logged_in: NamedSignal
user_logged_out: NamedSignal
user_loaded_from_cookie: NamedSignal

def login_user(
    user: Any,
    remember: bool = False,
    duration: timedelta | None = None,
    force: bool = False,
    fresh: bool = True,
) -> bool: ...
def logout_user() -> bool: ...
def login_required(func: _F) -> _F: ...

class UserMixin:
    __hash__: Any
    @property
    def is_active(self) -> bool: ...
    @property
    def is_authenticated(self) -> bool: ...
    @property
    def is_anonymous(self) -> bool: ...
    def get_id(self) -> str: ...

class LoginManager:
    login_view: str | None
    login_message: str
    login_message_category: str
    def __init__(self, app: Flask | None = None, add_context_processor: bool = True) -> None: ...
    def init_app(self, app: Flask, add_context_processor: bool = True) -> None: ...
    def user_loader(self, callback: _L) -> _L: ...
