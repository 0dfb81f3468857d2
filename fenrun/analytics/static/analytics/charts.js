/* Report charts: each [data-echart] element names a JSON script holding its ECharts option,
 * built on the server from the same figures as the table beside it. */
(function () {
  "use strict";
  var charts = [];
  document.querySelectorAll("[data-echart]").forEach(function (el) {
    var source = document.getElementById(el.getAttribute("data-echart"));
    if (!source || typeof echarts === "undefined") return;
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(JSON.parse(source.textContent));
    el.dataset.ready = "1";
    charts.push(chart);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) {
      chart.resize();
    });
  });
})();
