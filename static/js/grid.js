/* The booking grid (day timeline, a room's week and its page).
 *
 * Without this script every free half hour is a link to the booking form for
 * exactly that half hour. With it:
 * - press and drag across free half hours of one row to book the whole span;
 * - the grid is one tab stop; arrow keys move between free half hours and
 *   bookings (Home and End to the ends of a row), Enter books or opens;
 * - a booking opens a dialog with its details and, for your own, change and cancel.
 */
(function () {
  "use strict";

  var TARGETS = ".timeline-slot.free a, .timeline-block";

  function leftOf(element) {
    var box = element.closest(".timeline-slot") || element;
    return parseFloat(box.style.left) || 0;
  }

  function byLeft(a, b) {
    return leftOf(a) - leftOf(b);
  }

  function targetsOf(row) {
    return Array.prototype.slice.call(row.querySelectorAll(TARGETS)).sort(byLeft);
  }

  function nearest(list, left) {
    var best = null;
    list.forEach(function (element) {
      if (best === null || Math.abs(leftOf(element) - left) < Math.abs(leftOf(best) - left)) {
        best = element;
      }
    });
    return best;
  }

  function bookUrl(first, last) {
    var url = new URL(first.href, window.location.href);
    var start = first.dataset.start, end = last.dataset.end;
    url.search = "?date=" + start.slice(0, 10) + "&start=" + start.slice(11) +
      "&end_date=" + end.slice(0, 10) + "&end=" + end.slice(11);
    return url.toString();
  }

  function setUpKeyboard(grid) {
    var rows = Array.prototype.slice.call(grid.querySelectorAll(".timeline"));
    var all = grid.querySelectorAll(TARGETS);
    if (!all.length) { return; }
    Array.prototype.forEach.call(all, function (element) { element.tabIndex = -1; });
    (grid.querySelector(".timeline-slot.free a") || all[0]).tabIndex = 0;
    grid.addEventListener("focusin", function (event) {
      if (!event.target.matches(TARGETS)) { return; }
      Array.prototype.forEach.call(all, function (element) { element.tabIndex = -1; });
      event.target.tabIndex = 0;
    });
    grid.addEventListener("keydown", function (event) {
      var current = event.target;
      if (!current.matches(TARGETS)) { return; }
      var row = current.closest(".timeline");
      var list = targetsOf(row);
      var index = list.indexOf(current);
      var next = null;
      if (event.key === "ArrowRight") { next = list[index + 1]; }
      else if (event.key === "ArrowLeft") { next = list[index - 1]; }
      else if (event.key === "Home") { next = list[0]; }
      else if (event.key === "End") { next = list[list.length - 1]; }
      else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        var step = event.key === "ArrowDown" ? 1 : -1;
        for (var r = rows.indexOf(row) + step; r >= 0 && r < rows.length && !next; r += step) {
          next = nearest(targetsOf(rows[r]), leftOf(current));
        }
      } else { return; }
      event.preventDefault();
      if (next) { next.focus(); }
    });
  }

  function setUpDrag(grid) {
    var drag = null;
    var swallowClick = false;

    // The free half hours from the one the drag started on towards the pointer,
    // up to the first gap (a booking or a past half hour) in that direction;
    // in time order.
    function span() {
      var list = Array.prototype.slice.call(drag.row.querySelectorAll(".timeline-slot.free a")).sort(byLeft);
      var from = list.indexOf(drag.first), to = list.indexOf(drag.last);
      var step = to < from ? -1 : 1;
      var chosen = [list[from]];
      for (var i = from + step; step * (to - i) >= 0; i += step) {
        var edge = chosen[chosen.length - 1];
        var joined = step > 0 ? list[i].dataset.start === edge.dataset.end : list[i].dataset.end === edge.dataset.start;
        if (!joined) { break; }
        chosen.push(list[i]);
      }
      return step > 0 ? chosen : chosen.reverse();
    }

    function paint() {
      grid.querySelectorAll(".timeline-slot.selected").forEach(function (slot) { slot.classList.remove("selected"); });
      if (!drag) { return; }
      span().forEach(function (link) { link.parentNode.classList.add("selected"); });
    }

    grid.addEventListener("pointerdown", function (event) {
      if (event.pointerType === "touch" || event.button !== 0) { return; }
      var link = event.target.closest(".timeline-slot.free a");
      if (!link) { return; }
      event.preventDefault();
      drag = { row: link.closest(".timeline"), first: link, last: link };
      grid.classList.add("dragging");
      paint();
    });
    grid.addEventListener("pointerover", function (event) {
      if (!drag) { return; }
      var link = event.target.closest(".timeline-slot.free a");
      if (link && link.closest(".timeline") === drag.row && link !== drag.last) {
        drag.last = link;
        paint();
      }
    });
    document.addEventListener("pointerup", function () {
      if (!drag) { return; }
      var chosen = span();
      var moved = drag.first !== drag.last;
      drag = null;
      grid.classList.remove("dragging");
      if (moved && chosen.length > 1) {
        swallowClick = true;
        window.location.href = bookUrl(chosen[0], chosen[chosen.length - 1]);
      } else {
        paint();
      }
    });
    grid.addEventListener("click", function (event) {
      if (swallowClick && event.target.closest(".timeline-slot.free a")) {
        event.preventDefault();
        swallowClick = false;
      }
    }, true);
  }

  function setUpDetails(grid, dialog) {
    if (!dialog || typeof dialog.showModal !== "function") { return; }
    grid.addEventListener("click", function (event) {
      var block = event.target.closest(".timeline-block");
      if (!block) { return; }
      ["title", "when", "room", "holder"].forEach(function (name) {
        dialog.querySelector("[data-field=" + name + "]").textContent = block.dataset[name] || "";
      });
      [["event", "event"], ["edit", "edit"]].forEach(function (pair) {
        var link = dialog.querySelector("[data-link=" + pair[0] + "]");
        link.hidden = !block.dataset[pair[1]];
        link.href = block.dataset[pair[1]] || "#";
      });
      var cancel = dialog.querySelector("[data-form=cancel]");
      cancel.hidden = !block.dataset.cancel;
      cancel.action = block.dataset.cancel || "#";
      dialog.returnFocus = block;
      dialog.showModal();
    });
    dialog.querySelector("[data-close]").addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("close", function () {
      if (dialog.returnFocus) { dialog.returnFocus.focus(); }
    });
  }

  var dialog = document.getElementById("booking-details");
  document.querySelectorAll("[data-grid]").forEach(function (grid) {
    grid.setAttribute("aria-describedby", "grid-help");
    setUpKeyboard(grid);
    setUpDrag(grid);
    setUpDetails(grid, dialog);
  });
})();
