// The year-so-far chart: monthly fund payments and the person's own share (ECharts, local).
(function () {
  function draw() {
    var el = document.getElementById("year-chart");
    var raw = document.getElementById("year-data");
    if (!el || !raw || !window.echarts) return;
    var data = JSON.parse(raw.textContent);
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      grid: { left: 48, right: 12, bottom: 28, top: 16 },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value" },
      series: [
        { name: "基金支付", type: "bar", stack: "t", data: data.fund, itemStyle: { color: "#0b63b6" } },
        { name: "个人负担", type: "bar", stack: "t", data: data.mine, itemStyle: { color: "#f0a202" } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
