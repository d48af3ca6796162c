// Starts Swagger UI on /api/v1/docs from the page's data attributes (the CSP allows no
// inline script). A logged-in user's requests go with the session and its CSRF token.
document.addEventListener("DOMContentLoaded", () => {
  const page = document.getElementById("api-docs");
  const csrfToken = page.dataset.csrfToken;
  window.ui = SwaggerUIBundle({
    url: page.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    layout: "BaseLayout",
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    requestInterceptor: (request) => {
      if (csrfToken && !request.headers.Authorization) {
        request.headers["X-CSRFToken"] = csrfToken;
      }
      return request;
    },
  });
});
