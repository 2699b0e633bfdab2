from collections.abc import Sequence
from typing import Any

from ...model import BaseModelView

class ModelView(BaseModelView):
    def __init__(
        self,
        model: type[Any],
        session: Any,
        name: str | None = None,
        category: str | None = None,
        endpoint: str | None = None,
        url: str | None = None,
        static_folder: str | None = None,
        menu_class_name: str | None = None,
        menu_icon_type: str | None = None,
        menu_icon_value: str | None = None,
    ) -> None: ...
    def get_query(self) -> Any: ...
    def create_model(self, form: Any) -> Any: ...
    def create_view(self) -> Any: ...
    def edit_view(self) -> Any: ...
    def update_model(self, form: Any, model: Any) -> bool: ...
    def get_list(
        self,
        page: int | None,
        sort_column: Any,
        sort_desc: bool,
        search: str | None,
        filters: Sequence[Any] | None,
        execute: bool = True,
        page_size: int | None = None,
    ) -> tuple[int | None, Any]: ...
