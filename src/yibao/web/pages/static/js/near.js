// 定点医疗机构: "按我的位置排序" asks the browser for its location (nothing leaves the page but
// the two numbers in the form) and submits the filter form with lat/lon.
(function () {
  "use strict";
  var button = document.getElementById("use-location");
  var form = document.getElementById("hospital-filter");
  var status = document.getElementById("location-status");
  if (!button || !form || !("geolocation" in navigator)) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    status.textContent = "正在获取位置…";
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        document.getElementById("f-lat").value = pos.coords.latitude.toFixed(6);
        document.getElementById("f-lon").value = pos.coords.longitude.toFixed(6);
        document.getElementById("f-district").value = "";
        form.submit();
      },
      function () {
        status.textContent = "无法获取位置，请在下方选择区县后再筛选。";
      },
      { timeout: 10000, maximumAge: 600000 }
    );
  });
})();
