// Live progress: while a promotion or rollback runs, poll its status and
// reload the page when it ends. Everything else works without this script.
(function () {
  var box = document.getElementById("progress");
  if (!box || box.dataset.running !== "true") return;
  var status = document.getElementById("progress-status");
  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (p) {
        status.textContent = p.status + (p.message ? ": " + p.message : "");
        if (p.running) { setTimeout(poll, 500); } else { location.reload(); }
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 300);
})();
