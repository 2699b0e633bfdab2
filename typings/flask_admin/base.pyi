from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import Flask

from .theme import Theme

_F = TypeVar("_F", bound=Callable[..., Any])

def expose(url: str = "/", methods: Iterable[str] | None = ("GET",)) -> Callable[[_F], _F]: ...

class BaseView:
    name: str | None
    endpoint: str
    url: str | None
    def __init__(
        self,
        name: str | None = None,
        category: str | None = None,
        endpoint: str | None = None,
        url: str | None = None,
        static_folder: str | None = None,
        static_url_path: str | None = None,
        menu_class_name: str | None = None,
        menu_icon_type: str | None = None,
        menu_icon_value: str | None = None,
    ) -> None: ...
    def render(self, template: str, **kwargs: Any) -> str: ...
    def is_visible(self) -> bool: ...
    def is_accessible(self) -> bool: ...
    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any: ...
    def get_url(self, endpoint: str, **kwargs: Any) -> str: ...

class AdminIndexView(BaseView):
    def __init__(
        self,
        name: str | None = None,
        category: str | None = None,
        endpoint: str | None = None,
        url: str | None = None,
        template: str = "admin/index.html",
        menu_class_name: str | None = None,
        menu_icon_type: str | None = None,
        menu_icon_value: str | None = None,
    ) -> None: ...

class Admin:
    def __init__(
        self,
        app: Flask | None = None,
        name: str | None = None,
        url: str | None = None,
        subdomain: str | None = None,
        index_view: BaseView | None = None,
        translations_path: str | None = None,
        endpoint: str | None = None,
        static_url_path: str | None = None,
        theme: Theme | None = None,
        category_icon_classes: dict[str, str] | None = None,
        host: str | None = None,
        csp_nonce_generator: Callable[[], Any] | None = None,
    ) -> None: ...
    def add_view(self, view: BaseView) -> None: ...
    def add_views(self, *args: BaseView) -> None: ...
