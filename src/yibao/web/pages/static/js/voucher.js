// Refreshes the e-voucher QR code shortly before it expires (no library).
(function () {
  var box = document.getElementById("voucher-qr");
  if (!box) return;
  var expiry = document.getElementById("voucher-expiry");
  function schedule(seconds) {
    window.setTimeout(refresh, Math.max(5, seconds) * 1000);
  }
  function refresh() {
    fetch("/voucher/code", { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        box.innerHTML = data.svg;
        if (expiry) { expiry.textContent = data.expires_local; expiry.setAttribute("datetime", data.expires_at); }
        schedule(data.refresh_in);
      })
      .catch(function () { schedule(30); });
  }
  schedule(parseInt(box.getAttribute("data-refresh-in"), 10) || 540);
})();
