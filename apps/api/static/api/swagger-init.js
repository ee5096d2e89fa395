// Starts Swagger UI for /api/vN/docs. The configuration comes from data attributes,
// because our Content-Security-Policy forbids inline scripts (ninja's template has one).
(function () {
  "use strict";
  var url = document.body.getAttribute("data-openapi-url");
  window.ui = window.SwaggerUIBundle({
    url: url,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    // The API authenticates with Bearer tokens only; keep the token across reloads.
    persistAuthorization: true,
  });
})();
