/* Behaviours of the registry's editing forms, attached by data attributes (the CSP allows no inline script).
   Every form works without this file; it only hides what does not apply and adds rows.

   data-indicator-select            the indicator <select>; the value <select data-indicator-values> beside it
                                    then offers only the options whose data-indicators name that indicator
                                    (housing: A–D; the others: 达标/不达标).
   data-period-kind                 the statement's period <select>; elements with data-period-show="<kind>"
                                    are shown only for that kind (the year for 自然年度, the date for 12个月).
   data-formset-add="<prefix>"      a button that appends a copy of <template data-formset-template="<prefix>">
                                    to [data-formset-rows="<prefix>"], numbering it like Django's formsets. */
(function () {
  "use strict";

  function filterIndicatorValues(select) {
    var form = select.form;
    var values = form && form.querySelector("[data-indicator-values]");
    if (!values) {
      return;
    }
    var indicator = select.value;
    var selectedStillOffered = false;
    Array.prototype.forEach.call(values.options, function (option) {
      var applies = option.value === "" || !indicator ||
        (option.getAttribute("data-indicators") || "").split(" ").indexOf(indicator) !== -1;
      option.hidden = !applies;
      option.disabled = !applies;
      if (applies && option.selected) {
        selectedStillOffered = true;
      }
    });
    if (!selectedStillOffered) {
      values.value = "";
    }
  }

  function showPeriodInputs(select) {
    var form = select.form;
    if (!form) {
      return;
    }
    Array.prototype.forEach.call(form.querySelectorAll("[data-period-show]"), function (element) {
      element.hidden = element.getAttribute("data-period-show") !== select.value;
    });
  }

  function addFormsetRow(prefix) {
    var template = document.querySelector('template[data-formset-template="' + prefix + '"]');
    var rows = document.querySelector('[data-formset-rows="' + prefix + '"]');
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var maximum = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS");
    if (!template || !rows || !total) {
      return;
    }
    var index = parseInt(total.value, 10) || 0;
    if (maximum && index >= parseInt(maximum.value, 10)) {
      return;
    }
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    var holder = document.createElement("div");
    holder.innerHTML = html;
    while (holder.firstElementChild) {
      rows.appendChild(holder.firstElementChild);
    }
    total.value = String(index + 1);
    var first = rows.lastElementChild && rows.lastElementChild.querySelector("input");
    if (first) {
      first.focus();
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-indicator-select]")) {
      filterIndicatorValues(target);
    } else if (target.matches("[data-period-kind]")) {
      showPeriodInputs(target);
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-formset-add]");
    if (button) {
      event.preventDefault();
      addFormsetRow(button.getAttribute("data-formset-add"));
    }
  });

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-indicator-select]"), filterIndicatorValues);
    Array.prototype.forEach.call(document.querySelectorAll("[data-period-kind]"), showPeriodInputs);
    Array.prototype.forEach.call(document.querySelectorAll("[data-formset-add]"), function (button) {
      button.hidden = false;
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
