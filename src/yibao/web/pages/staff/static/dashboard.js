// 统计看板: one bar chart per table (ECharts, served locally). The tables stay the source.
(function () {
  function bar(id, labels, series) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) return;
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      grid: { left: 64, right: 12, bottom: 48, top: 16 },
      xAxis: { type: "category", data: labels, axisLabel: { interval: 0, rotate: labels.length > 6 ? 30 : 0 } },
      yAxis: { type: "value" },
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function draw() {
    var raw = document.getElementById("dashboard-data");
    if (!raw) return;
    var data = JSON.parse(raw.textContent);
    ["month", "level", "policy", "med_type"].forEach(function (key) {
      var d = data[key];
      if (!d || !d.labels.length) return;
      bar("chart-" + key, d.labels, [
        { name: "基金支付", type: "bar", stack: "t", data: d.fund, itemStyle: { color: "#0b5cad" } },
        { name: "个人负担", type: "bar", stack: "t", data: d.mine, itemStyle: { color: "#f0a202" } }
      ]);
    });
    var o = data.oop;
    if (o) bar("chart-oop", o.labels, [{ name: "结算笔数", type: "bar", data: o.count, itemStyle: { color: "#2e7d32" } }]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
