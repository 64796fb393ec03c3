// Start Swagger UI on /docs (kept out of the page so the page needs no inline script).
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  window.SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});
