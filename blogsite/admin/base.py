"""The base of every model view: access, CSRF, audit, and clear answers to bad input."""

from __future__ import annotations

import re
from typing import Any

from flask import abort, flash, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla import ModelView
from sqlalchemy import UniqueConstraint, inspect
from sqlalchemy.exc import IntegrityError
from wtforms import Form, ValidationError

from ..domain.validation import RuleError
from ..extensions import db
from . import audit
from .auth import StaffOnly
from .forms import AdminForm, parse_id

MAX_PAGE = 10_000
MAX_SEARCH = 200
MAX_LOOKUP = 50
CONFLICT = "Another record already uses this value."
CONFLICTS = "The change conflicts with other records."
IN_USE = "This record is still in use and cannot be deleted."
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: ([\w., ]+)")


class ShownOnForm(Exception):  # noqa: N818 (a signal, not an error to report)
    """A refused write whose reason is already shown on the form."""


def unique_columns(exc: IntegrityError) -> list[str]:
    """Return the ``table.column`` names a unique violation names (SQLite or PostgreSQL)."""
    constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
    if constraint:
        for table in db.metadata.tables.values():
            for item in table.constraints:
                if isinstance(item, UniqueConstraint) and item.name == constraint:
                    return [f"{table.name}.{column.name}" for column in item.columns]
        return []
    match = _SQLITE_UNIQUE.search(str(exc.orig))
    return [name.strip() for name in match.group(1).split(",")] if match else []


class SecuredModelView(StaffOnly, ModelView):
    """A staff-only model view whose every write is audited and all-or-nothing."""

    form_base_class = AdminForm
    list_template = "admin/model/console_list.html"  # named checkboxes and headers (axe)
    can_export = False
    can_set_page_size = False
    page_size = 20
    named_filter_urls = True  # readable, stable filter arguments: ?flt0_status_equals=draft

    def __init__(self, model: type, **kwargs: Any) -> None:
        super().__init__(model, db, **kwargs)

    # Reads: malformed ids are "not found"; paging and search stay within bounds.
    def get_one(self, id: Any) -> Any:
        number = parse_id(id)
        return None if number is None else db.session.get(self.model, number)

    def get_list(
        self,
        page: int | None,
        sort_column: Any,
        sort_desc: bool,
        search: str | None,
        filters: Any,
        execute: bool = True,
        page_size: int | None = None,
    ) -> Any:
        page = None if page is None else min(max(page, 0), MAX_PAGE)
        search = search[:MAX_SEARCH] if search else search
        return super().get_list(page, sort_column, sort_desc, search, filters, execute, page_size)

    @expose("/ajax/lookup/")
    def ajax_lookup(self) -> Any:
        offset = request.args.get("offset", 0, type=int)
        limit = request.args.get("limit", 10, type=int)
        if not 0 <= offset <= MAX_PAGE * self.page_size or not 1 <= limit <= MAX_LOOKUP:
            abort(400, description="offset or limit is out of range.")
        if len(request.args.get("query") or "") > MAX_SEARCH:
            abort(400, description="The search text is too long.")
        return super().ajax_lookup()

    # Writes: Flask-Admin's own create_model/update_model/delete_model call these hooks
    # inside one transaction and roll it back when one raises; handle_view_exception then
    # turns the error into a message on the form, never a 500.
    def prepare_model(self, form: Form, model: Any, is_created: bool) -> None:
        """Apply the domain's rules to ``model`` before it is saved; override in views."""

    def on_model_change(self, form: Form, model: Any, is_created: bool) -> None:
        """Apply the rules, audit the change, and flush so a conflict meets its form."""
        try:
            # No autoflush: a query in prepare_model would flush and reset the history.
            with db.session.no_autoflush:
                self.prepare_model(form, model, is_created)
            audit.record_change(model, created=is_created)
            db.session.flush()
        except RuleError as exc:
            if exc.field is None or exc.field not in form:
                raise
            form[exc.field].errors = [*form[exc.field].errors, str(exc)]
            raise ShownOnForm(str(exc)) from exc
        except IntegrityError as exc:
            self.report_conflict(form, exc)
            raise ShownOnForm(CONFLICT) from exc

    def on_model_delete(self, model: Any) -> None:
        """Audit the deletion, in the transaction that deletes."""
        audit.record(model, audit.DELETED)

    def handle_view_exception(self, exc: Exception) -> bool:
        """Explain a refused write on the page (the transaction is rolled back after)."""
        if isinstance(exc, ShownOnForm):
            return True  # already on the form
        if isinstance(exc, IntegrityError):
            deleting = str(exc.statement or "").lstrip().upper().startswith("DELETE")
            flash(IN_USE if deleting else CONFLICT if unique_columns(exc) else CONFLICTS, "error")
            return True
        if isinstance(exc, ValueError | ValidationError):  # a rule refused a value
            flash(str(exc), "error")
            return True
        return super().handle_view_exception(exc)

    def report_conflict(self, form: Form, exc: IntegrityError) -> None:
        """Show a unique violation on the field it concerns, else as a message."""
        mapper = inspect(self.model)
        for name in unique_columns(exc):
            table, _, column = name.partition(".")
            if table != mapper.local_table.name:
                continue
            field = column if column in form else None
            for rel in mapper.relationships:
                if column in {c.name for c in rel.local_columns} and rel.key in form:
                    field = rel.key
            if field is not None:
                form[field].errors = [*form[field].errors, CONFLICT]
                return
        flash(CONFLICT if unique_columns(exc) else CONFLICTS, "error")

    @action("delete", "Delete", "Are you sure you want to delete the selected records?")
    def action_delete(self, ids: Any) -> None:
        # Each record is deleted (and audited) in its own transaction, as by its own button.
        count = 0
        for number in filter(None, map(parse_id, ids)):
            model = db.session.get(self.model, number)
            if model is not None and self.delete_model(model):
                count += 1
        flash(f"{count} record(s) deleted.", "success" if count else "error")
