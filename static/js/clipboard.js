// Copy buttons: <button data-copy="value" hidden>. Shown only where this script runs, so a page
// without JavaScript never offers a button that does nothing.
(function () {
  "use strict";
  function fallbackCopy(text) {
    // navigator.clipboard needs HTTPS; a firm's LAN address is often plain HTTP
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    area.remove();
    return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }
  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return fallbackCopy(text); });
    }
    return fallbackCopy(text);
  }
  function reveal(root) {
    var buttons = (root || document).querySelectorAll("[data-copy][hidden]");
    Array.prototype.forEach.call(buttons, function (b) { b.hidden = false; });
  }
  document.addEventListener("click", function (evt) {
    var button = evt.target.closest ? evt.target.closest("[data-copy]") : null;
    if (!button) return;
    copy(button.getAttribute("data-copy")).then(function () {
      button.textContent = "Copied";
    }, function () {
      button.textContent = "Copy failed";
    }).then(function () {
      clearTimeout(button._reset);
      button._reset = setTimeout(function () { button.textContent = "Copy"; }, 2000);
    });
  });
  document.addEventListener("htmx:load", function (evt) { reveal(evt.detail.elt); });
  document.addEventListener("DOMContentLoaded", function () { reveal(document); });
})();
