// Keyboard readers must be able to reach a code block that scrolls sideways (WCAG 2.1.1; axe's
// scrollable-region-focusable). Material makes such a block focusable only on devices whose
// pointer can hover, so a keyboard on a tablet or phone cannot scroll it: this does it on every
// device. It runs on each page Material shows (document$ also fires after an instant
// navigation) and again whenever a block's size changes, after Material's own observer.
(function () {
  "use strict";
  var resized = new ResizeObserver(function (entries) {
    entries.forEach(function (entry) { focusable(entry.target); });
  });

  function focusable(code) {
    if (code.scrollWidth > code.clientWidth) {
      code.setAttribute("tabindex", "0");
    } else {
      code.removeAttribute("tabindex");
    }
  }

  function mount() {
    resized.disconnect();
    document.querySelectorAll("pre > code").forEach(function (code) {
      focusable(code);
      resized.observe(code);
    });
  }

  if (typeof document$ !== "undefined") {
    document$.subscribe(mount);  // eslint-disable-line no-undef
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mount);
  } else {
    mount();
  }
})();
