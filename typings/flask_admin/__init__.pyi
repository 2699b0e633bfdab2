# Flask-Admin 2.2.1: the names blogsite uses (see typings/README.md).
from .base import Admin as Admin
from .base import AdminIndexView as AdminIndexView
from .base import BaseView as BaseView
from .base import expose as expose
