// Keyboard readers must be able to reach a code block that scrolls sideways (WCAG 2.1.1; axe's
// scrollable-region-focusable). Material makes such a block focusable only on devices whose
// pointer can hover, and takes the tabindex away again on the others each time the block is
// resized, so a keyboard on a tablet or phone cannot scroll it: this gives every block that
// scrolls tabindex="0" on every device. It runs on each page Material shows (document$ also
// fires after an instant navigation), when a block's size changes, and when something else
// removes the tabindex (at once, so a focused block keeps the focus).
(function () {
  "use strict";

  function scrolls(code) {
    return code.scrollWidth > code.clientWidth;
  }

  function focusable(code) {
    if (scrolls(code)) {
      if (code.getAttribute("tabindex") !== "0") code.setAttribute("tabindex", "0");
    } else if (code.hasAttribute("tabindex")) {
      code.removeAttribute("tabindex");
    }
  }

  var resized = new ResizeObserver(function (entries) {
    entries.forEach(function (entry) { focusable(entry.target); });
  });
  var retagged = new MutationObserver(function (changes) {
    changes.forEach(function (change) {
      if (change.target.matches("pre > code") && scrolls(change.target)) focusable(change.target);
    });
  });

  // Material's search overlay is a role="dialog" without a name (axe: aria-dialog-name); a
  // screen reader announces it as "Search".
  function nameDialogs() {
    document.querySelectorAll('.md-search[role="dialog"]').forEach(function (dialog) {
      if (!dialog.hasAttribute("aria-label") && !dialog.hasAttribute("aria-labelledby")) {
        dialog.setAttribute("aria-label", "Search");
      }
    });
  }

  function mount() {
    nameDialogs();
    resized.disconnect();
    document.querySelectorAll("pre > code").forEach(function (code) {
      focusable(code);
      resized.observe(code);
    });
  }

  function start() {
    retagged.observe(document.body, { subtree: true, attributes: true, attributeFilter: ["tabindex"] });
    if (typeof document$ !== "undefined") {
      document$.subscribe(mount);  // eslint-disable-line no-undef
    } else {
      mount();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
