// The API reference page (/docs): starts Swagger UI, loaded just before by its own bundle
// (/assets/vendor/swagger-ui/swagger-ui-bundle.js), on the document the page names.
interface SwaggerUiOptions {
  url: string;
  domNode: Element;
  deepLinking: boolean;
  // null: never send the document to an outside validator (and no badge fetched from one).
  validatorUrl: null;
  tryItOutEnabled: boolean;
}

declare global {
  interface Window {
    SwaggerUIBundle?: (options: SwaggerUiOptions) => unknown;
  }
}

const root = document.getElementById('swagger-ui');
const url = root?.getAttribute('data-openapi-url');
if (root && url && window.SwaggerUIBundle) {
  window.SwaggerUIBundle({ url, domNode: root, deepLinking: true, validatorUrl: null, tryItOutEnabled: false });
}
