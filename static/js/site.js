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
  document.querySelectorAll("input[data-filter-list]").forEach(function (input) {
    var list = document.querySelector(input.dataset.filterList);
    if (!list) { return; }
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLowerCase();
      list.querySelectorAll("[data-filter-item]").forEach(function (item) {
        item.hidden = needle !== "" && item.textContent.toLowerCase().indexOf(needle) === -1;
      });
    });
  });
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (event) {
      if (!window.confirm(el.dataset.confirm)) { event.preventDefault(); }
    });
  });
  // A read-only field to copy from (the calendar feed's address) selects all of itself.
  document.querySelectorAll("[data-select-on-focus]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
    input.addEventListener("click", function () { input.select(); });
  });
  // "Copy" buttons stay hidden without this script; they put a field's value on the
  // clipboard and say so (data-copied) in the button and a status line, or select the
  // field and say how to copy it by hand (data-copy-failed).
  document.querySelectorAll("button[data-copy-target]").forEach(function (button) {
    var field = document.querySelector(button.dataset.copyTarget);
    if (!field) { return; }
    var status = button.dataset.copyStatus ? document.querySelector(button.dataset.copyStatus) : null;
    var label = button.textContent;
    var timer = null;
    function report(copied) {
      var text = copied ? button.dataset.copied : button.dataset.copyFailed;
      if (copied) { button.textContent = text; }
      if (status) { status.textContent = text; }
      clearTimeout(timer);
      timer = setTimeout(function () {
        button.textContent = label;
        if (status) { status.textContent = ""; }
      }, copied ? 2500 : 8000);
    }
    function copyBySelection() {
      field.focus();
      field.select();
      var copied = false;
      try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
      report(copied);
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(function () { report(true); }, copyBySelection);
      } else {
        copyBySelection();
      }
    });
  });
  // A span's end date follows its start date, keeping the span's length in days.
  document.querySelectorAll("form").forEach(function (form) {
    var start = form.querySelector("input[name=date]");
    var end = form.querySelector("input[name=end_date]");
    if (!start || !end) { return; }
    var previous = start.value;
    start.addEventListener("change", function () {
      var from = Date.parse(previous), to = Date.parse(start.value), until = Date.parse(end.value);
      if (!isNaN(from) && !isNaN(to) && !isNaN(until)) {
        end.value = new Date(until + (to - from)).toISOString().slice(0, 10);
      } else if (!isNaN(to)) {
        end.value = start.value;
      }
      previous = start.value;
    });
  });
  // A long list of choices (the time zones) gets a search box that narrows it.
  document.querySelectorAll("select[data-searchable]").forEach(function (select) {
    var search = document.createElement("input");
    search.type = "search";
    search.className = "form-control form-control-sm mb-1";
    search.placeholder = select.dataset.searchable;
    search.setAttribute("aria-label", select.dataset.searchable);
    select.parentNode.insertBefore(search, select);
    var options = Array.prototype.slice.call(select.options);
    search.addEventListener("input", function () {
      var needle = search.value.trim().toLowerCase().replace(/ /g, "_");
      var first = null;
      options.forEach(function (option) {
        var match = needle === "" || option.value.toLowerCase().indexOf(needle) !== -1 ||
          option.textContent.toLowerCase().indexOf(needle) !== -1;
        option.hidden = !match;
        option.disabled = !match && !option.selected;
        if (match && !first) { first = option; }
      });
      if (first && select.selectedOptions.length && select.selectedOptions[0].hidden) { select.value = first.value; }
    });
  });
})();
