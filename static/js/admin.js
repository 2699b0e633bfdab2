// The console's behaviour that flask-admin's templates put in inline handlers, moved here so
// that a Content-Security-Policy without 'unsafe-inline' loses nothing.
(function () {
  "use strict";
  // Ask before submitting a form whose button (or the form itself) has data-confirm.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = (button && button.getAttribute("data-confirm")) ||
      event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  }, true);
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest('a[href^="javascript:"]');
    if (!link) {
      return;
    }
    // These links are toggles handled by script: never navigate to the javascript: URL.
    event.preventDefault();
    // A bulk action from the "With selected" menu (flask-admin's actions.js does the work).
    var action = link.getAttribute("data-model-action");
    if (action && window.modelActions) {
      window.modelActions.execute(action);
    }
  }, true);
})();
