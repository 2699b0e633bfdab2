# Flask-WTF 1.3.0: the names blogsite uses (see typings/README.md).
from .csrf import CSRFProtect as CSRFProtect
from .form import FlaskForm as FlaskForm
