// The escalations list refreshes itself: the server renders the rows, this only fetches them.
// Served from this site (the console's Content-Security-Policy allows no other script).
(function () {
  "use strict";
  var box = document.querySelector("[data-live]");
  if (!box) { return; }
  var url = box.getAttribute("data-live");
  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var page = new DOMParser().parseFromString(html, "text/html");
        var table = page.querySelector("table.tickets");
        var current = box.querySelector("table.tickets");
        if (table && current) { current.replaceWith(document.importNode(table, true)); }
      })
      .catch(function () { /* the next round tries again */ });
  }
  setInterval(refresh, 5000);
}());
