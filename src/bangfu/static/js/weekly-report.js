/* The weekly clearance report's charts (rectification/report_detail.html) and print button (report_print.html).

   The data comes from the json_script element #weekly-report-data (the CSP allows no inline script); each chart
   is drawn into an element with data-report-chart="colours" | "bars" | "burndown". A button with data-print
   opens the browser's print dialogue. */
(function () {
  "use strict";

  function draw(element, data) {
    var kind = element.getAttribute("data-report-chart");
    var chart = window.echarts.init(element);
    var option;
    if (kind === "colours") {
      option = {
        tooltip: { trigger: "item" },
        legend: { bottom: 0 },
        series: [{
          type: "pie",
          radius: ["35%", "65%"],
          data: data.colours.map(function (c) {
            return { name: c.name, value: c.value, itemStyle: { color: c.colour } };
          }),
          label: { formatter: "{b}: {c}" }
        }]
      };
    } else if (kind === "bars") {
      option = {
        tooltip: { trigger: "axis" },
        legend: { bottom: 0 },
        xAxis: { type: "category", data: data.bars.labels },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { name: data.bars.last_label, type: "bar", data: data.bars.last_week, itemStyle: { color: "#adb5bd" } },
          { name: data.bars.this_label, type: "bar", data: data.bars.this_week, itemStyle: { color: "#0d6efd" } }
        ]
      };
    } else if (kind === "burndown") {
      var weeks = [];
      data.campaigns.forEach(function (c) {
        c.weeks.forEach(function (w) { if (weeks.indexOf(w) < 0) { weeks.push(w); } });
      });
      weeks.sort();
      option = {
        tooltip: { trigger: "axis" },
        legend: { bottom: 0 },
        xAxis: { type: "category", data: weeks },
        yAxis: { type: "value", minInterval: 1, name: data.open_label },
        series: data.campaigns.map(function (c) {
          return {
            name: c.name,
            type: "line",
            data: weeks.map(function (w) {
              var i = c.weeks.indexOf(w);
              return i < 0 ? null : c.open[i];
            })
          };
        })
      };
    }
    if (option) {
      chart.setOption(option);
      window.addEventListener("resize", function () { chart.resize(); });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    var source = document.getElementById("weekly-report-data");
    if (!source || !window.echarts) {
      return;
    }
    var data = JSON.parse(source.textContent);
    document.querySelectorAll("[data-report-chart]").forEach(function (element) { draw(element, data); });
  });
})();
