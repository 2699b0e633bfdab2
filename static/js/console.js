/* The console's select2 (flask-admin's) leaves two controls unnamed or mis-roled; name them
   as select2 draws them (axe: link-name, aria-allowed-role). No inline script: the CSP. */
(function () {
  "use strict";
  function fix() {
    document.querySelectorAll("a.select2-search-choice-close:not([aria-label])").forEach(function (link) {
      var item = link.parentNode && link.parentNode.textContent.trim();
      link.setAttribute("aria-label", "Remove " + (item || "this choice"));
    });
    document.querySelectorAll("input.select2-focusser[role=button]").forEach(function (input) {
      input.removeAttribute("role"); // a text input may not be a button; its label names it
    });
  }
  fix();
  new MutationObserver(fix).observe(document.documentElement, { childList: true, subtree: true });
})();
