"""Operations pages: the cache dashboard and the throttle budgets."""

from __future__ import annotations

import ipaddress
import logging
from typing import Any, cast

from flask import flash, redirect, request
from flask_admin import expose
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import IntegerField, StringField, ValidationError
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from .. import caching, throttling
from ..extensions import db
from ..models import MAX_ID, Author
from .auth import StaffPage
from .forms import AdminForm, parse_id

logger = logging.getLogger("blogsite.admin")


def valid_ip(form: Any, field: Any) -> None:
    if field.data:
        try:
            field.data = str(ipaddress.ip_address(field.data.strip()))
        except ValueError as exc:
            raise ValidationError("Enter an IPv4 or IPv6 address.") from exc


class InvalidateAuthorForm(AdminForm):
    author_id = IntegerField("Author id", validators=[InputRequired(), NumberRange(1, MAX_ID)])


class InvalidateAllForm(AdminForm):
    """Only the CSRF token: the button itself is the request."""


def valid_user_id(form: Any, field: Any) -> None:
    if field.data:
        number = parse_id(field.data)
        if number is None:
            raise ValidationError("A user id is a whole number from 1.")
        field.data = number


class ResetForm(AdminForm):
    """Whose budget: an address, a user id, or both."""

    ip = StringField("Address", validators=[Optional(), Length(max=64), valid_ip])
    user_id = StringField("User id", validators=[Optional(), Length(max=12), valid_user_id])

    @property
    def user_id_number(self) -> int | None:
        """Return the validated user id (``valid_user_id`` made it a number), or None."""
        return cast(int | None, self.user_id.data or None)

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not self.ip.data and not self.user_id.data:
            self.ip.errors = ["Give an address or a user id."]
            return False
        return True


class LookupForm(ResetForm):
    class Meta:
        csrf = False  # a GET that changes nothing


class CacheView(StaffPage):
    @expose("/")
    def index(self) -> str:
        return self.render(
            "admin/cache.html",
            status=caching.cache_status(),
            author_form=InvalidateAuthorForm(formdata=None),
            all_form=InvalidateAllForm(formdata=None),
        )

    @expose("/invalidate-author/", methods=("POST",))
    def invalidate_author(self) -> Response | str:
        form = InvalidateAuthorForm()
        if form.validate_on_submit():
            author = db.session.get(Author, form.author_id.data)
            if author is None:
                flash(f"There is no author #{form.author_id.data}.", "error")
            else:
                caching.invalidate_author(author.id)
                logger.info("admin invalidated author %s's cache", author.id)
                flash(f"The cache of {author.name}'s blogs was invalidated.", "success")
        else:
            for errors in form.errors.values():
                flash(" ".join(errors), "error")
        return redirect(self.get_url(".index"))

    @expose("/invalidate-all/", methods=("POST",))
    def invalidate_all(self) -> Response:
        if InvalidateAllForm().validate_on_submit():
            caching.invalidate_all()
            logger.info("admin #%s invalidated the whole cache", current_user.id)
            flash("The whole cache was invalidated.", "success")
        return redirect(self.get_url(".index"))


class ThrottlingView(StaffPage):
    @expose("/")
    def index(self) -> str:
        form = LookupForm(request.args)
        budgets = None
        if request.args and form.validate():
            try:
                budgets = throttling.budget_status(
                    ip=form.ip.data or None, user_id=form.user_id_number
                )
            except (ValueError, throttling.ThrottleStorageError) as error:  # unknown user, Redis
                flash(str(error), "error")
        reset = ResetForm(formdata=None)  # its token; the address and id come from ``form``
        return self.render("admin/throttling.html", form=form, budgets=budgets, reset=reset)

    @expose("/reset/", methods=("POST",))
    def reset(self) -> Response:
        form = ResetForm()
        if form.validate_on_submit():
            ip, user_id = form.ip.data or None, form.user_id_number
            try:
                cleared = throttling.reset_budget(ip=ip, user_id=user_id)
            except (ValueError, throttling.ThrottleStorageError) as error:
                flash(str(error), "error")
                return redirect(self.get_url(".index"))
            logger.info("admin #%s reset %s throttle counters", current_user.id, cleared)
            flash(f"Cleared {cleared} counter(s).", "success")
            return redirect(self.get_url(".index", ip=ip, user_id=user_id))
        flash("Give a valid address or user id to reset.", "error")
        return redirect(self.get_url(".index"))
