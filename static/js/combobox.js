// WAI-ARIA 1.2 combobox for [data-combobox] pickers: htmx fetches the options into the listbox,
// this adds the keyboard, the mouse and the announcements. Without it the picker's select works.
(function () {
  "use strict";

  function setup(root) {
    var input = root.querySelector("[role=combobox]");
    var list = input && document.getElementById(input.getAttribute("aria-controls"));
    if (!list || root.hasAttribute("data-combobox-ready")) return;
    root.setAttribute("data-combobox-ready", "");
    var status = root.querySelector("[data-combobox-status]");
    var select = root.querySelector("select");
    var add = root.querySelector("button[value=add_existing]");
    var active = -1;
    var dismissed = false; // Escape closed the list: a late response must not reopen it

    function options() {
      return Array.prototype.slice.call(list.querySelectorAll("[role=option]:not([aria-disabled=true])"));
    }
    function highlight(i) {
      var opts = options();
      active = i;
      opts.forEach(function (o, n) { o.setAttribute("aria-selected", n === i ? "true" : "false"); });
      if (opts[i]) {
        input.setAttribute("aria-activedescendant", opts[i].id);
        opts[i].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }
    function open() {
      dismissed = false;
      if (!list.children.length) return;
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }
    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      highlight(-1);
    }
    function move(step) {
      var opts = options();
      if (!opts.length) return;
      open();
      // wrap around at both ends
      highlight(active < 0 ? (step > 0 ? 0 : opts.length - 1) : (active + step + opts.length) % opts.length);
    }
    function pick(opt) {
      var value = opt.getAttribute("data-value");
      var known = Array.prototype.some.call(select.options, function (o) { return o.value === value; });
      if (!known) select.add(new Option(opt.textContent.trim(), value));
      select.value = value;
      close();
      // the server re-renders the form with the contact added, exactly as without JavaScript
      if (add) add.click();
    }

    input.addEventListener("keydown", function (e) {
      var expanded = !list.hidden;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        move(e.key === "ArrowDown" ? 1 : -1);
      } else if (e.key === "Enter") {
        // Enter never submits the surrounding form from the search box
        e.preventDefault();
        if (expanded && options()[active]) pick(options()[active]);
        else if (list.children.length) open();
        else input.dispatchEvent(new Event("focus")); // nothing fetched yet: ask htmx for options
      } else if (e.key === "Escape") {
        if (expanded) { e.preventDefault(); close(); dismissed = true; }
        else if (input.value) { e.preventDefault(); input.value = ""; list.innerHTML = ""; }
      }
    });
    input.addEventListener("input", function () { dismissed = false; });
    input.addEventListener("blur", close);
    // keep focus in the input while the mouse picks
    list.addEventListener("mousedown", function (e) { e.preventDefault(); });
    list.addEventListener("click", function (e) {
      var opt = e.target.closest("[role=option]");
      if (opt && opt.getAttribute("aria-disabled") !== "true") pick(opt);
    });
    list.addEventListener("htmx:afterSwap", function (e) {
      if (e.target !== list) return;
      // keep the option the user had reached if it is still offered
      var current = input.getAttribute("aria-activedescendant");
      var ids = options().map(function (o) { return o.id; });
      highlight(current ? ids.indexOf(current) : -1);
      var n = ids.length;
      if (status) status.textContent = n === 0 ? "No contacts match." : n === 1 ? "1 contact found." : n + " contacts found.";
      if (document.activeElement === input && !dismissed) open();
    });
  }

  document.addEventListener("htmx:load", function (e) {
    var elt = e.detail.elt;
    if (!elt || !elt.querySelectorAll) return;
    if (elt.matches("[data-combobox]")) setup(elt);
    Array.prototype.forEach.call(elt.querySelectorAll("[data-combobox]"), setup);
  });
})();
