from typing import Any

from jinja2.runtime import Context

class BaseListRowAction:
    title: str | None
    def __init__(self, title: str | None = None) -> None: ...
    def render(self, context: Context, row_id: str, row: Any) -> Any: ...

class EndpointLinkRowAction(BaseListRowAction):
    def __init__(
        self,
        icon_class: str,
        endpoint: str,
        title: str | None = None,
        id_arg: str = "id",
        url_args: dict[str, Any] | None = None,
    ) -> None: ...

class TemplateLinkRowAction(BaseListRowAction):
    def __init__(self, template_name: str, title: str | None = None) -> None: ...

class DeleteRowAction(TemplateLinkRowAction):
    def __init__(self) -> None: ...
