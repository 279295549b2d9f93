// The pages' few behaviours, in one file: the Content-Security-Policy allows no inline script.
//   <form data-confirm="...">      asks before it is sent (cancelled: nothing is sent)
//   <button data-action="print">   prints the page
//   <a data-action="back">         goes back one page (its href is the fallback)
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm !== undefined) {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    }
  });
  document.addEventListener("click", function (event) {
    var el = event.target instanceof Element ? event.target.closest("[data-action]") : null;
    if (!el) {
      return;
    }
    if (el.dataset.action === "print") {
      event.preventDefault();
      window.print();
    } else if (el.dataset.action === "back" && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
})();
