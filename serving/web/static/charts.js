// Draws every chart the server rendered as <div class="plotly-graph-div" data-chart="spec">,
// on the page and in what htmx swaps in later: the pages run no inline script.
(function () {
  "use strict";
  function draw(root) {
    var found = Array.prototype.slice.call(root.querySelectorAll("[data-chart]"));
    if (root.matches && root.matches("[data-chart]")) found.unshift(root);
    found.forEach(function (element) {
      var spec = JSON.parse(element.getAttribute("data-chart"));
      element.removeAttribute("data-chart");
      Plotly.newPlot(element, spec.data, spec.layout, spec.config);
    });
  }
  document.addEventListener("htmx:load", function (event) { draw(event.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { draw(document); });
  } else {
    draw(document);
  }
})();
