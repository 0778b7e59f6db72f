// Cone's only page script: error toasts and small data-* behaviours. htmx does the rest.
(function () {
  "use strict";
  function toast(message) {
    var el = document.getElementById("toast");
    if (!el) return;
    el.textContent = message;
    el.hidden = false;
    clearTimeout(el._timer);
    el._timer = setTimeout(function () { el.hidden = true; }, 6000);
  }
  document.addEventListener("htmx:responseError", function (evt) {
    var status = evt.detail.xhr.status;
    toast(status === 403 ? "You are not allowed to do that." :
          status === 429 ? "Too many requests: wait a moment and try again." :
          status === 400 ? "This page has expired: reload it and try again." :
          "Something went wrong (" + status + "). Nothing was changed; try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    toast("Cannot reach the server: check your connection.");
  });
})();
