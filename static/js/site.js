(function () {
  "use strict";
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { zone = null; }
  document.querySelectorAll("select[data-detect-timezone]").forEach(function (select) {
    if (!zone || select.dataset.touched) { return; }
    var form = select.form;
    var isSignup = form && form.querySelector("input[name=password1]");
    if (isSignup && Array.prototype.some.call(select.options, function (o) { return o.value === zone; })) {
      select.value = zone;
    }
  });
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (event) {
      if (!window.confirm(el.dataset.confirm)) { event.preventDefault(); }
    });
  });
})();
