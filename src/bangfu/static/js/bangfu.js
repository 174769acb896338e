/* Page behaviours attached by data attributes. The CSP allows no inline script or event handler
   attributes, so every behaviour is declared in markup and implemented here:

   data-confirm="问题"   on a form, a submit button or a link: ask before submitting or following it.
   data-print            on a button: open the browser's print dialog (notices, wall posters).
   data-autofocus-desktop on an input: focus it on wide screens only (on a phone it would open the keyboard).

   It also reports failed htmx requests in #messages, because htmx swaps nothing on an error response and
   the user would otherwise see no reaction at all. The texts come from data attributes on <body>, so they
   are translated by Django like every other string. */
(function () {
  "use strict";

  function confirmed(element) {
    var question = element && element.getAttribute("data-confirm");
    return !question || window.confirm(question);
  }

  // Capture phase: runs before htmx's own submit handling on the form, so a "cancel" stops both.
  document.addEventListener(
    "submit",
    function (event) {
      if (!confirmed(event.submitter) || !confirmed(event.target)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );

  document.addEventListener(
    "click",
    function (event) {
      var link = event.target.closest("a[data-confirm]");
      if (link && !confirmed(link)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
      if (event.target.closest("[data-print]")) {
        event.preventDefault();
        window.print();
      }
    },
    true
  );

  function showAlert(text) {
    var container = document.getElementById("messages");
    if (!container || !text) {
      return;
    }
    var alert = document.createElement("div");
    alert.className = "alert alert-danger alert-dismissible fade show";
    alert.setAttribute("role", "alert");
    alert.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", document.body.getAttribute("data-close-label") || "");
    alert.appendChild(close);
    container.appendChild(alert);
  }

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail && event.detail.xhr ? event.detail.xhr.status : "";
    showAlert(document.body.getAttribute("data-request-failed") + (status ? " (" + status + ")" : ""));
  });

  document.addEventListener("htmx:sendError", function () {
    showAlert(document.body.getAttribute("data-network-failed"));
  });

  var autofocus = document.querySelector("[data-autofocus-desktop]");
  if (autofocus && window.matchMedia("(min-width: 768px)").matches) {
    autofocus.focus();
  }
})();
