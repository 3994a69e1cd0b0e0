// The API reference page (/docs): starts Swagger UI, loaded just before by its own bundle
// (/assets/vendor/swagger-ui/swagger-ui-bundle.js), on the document the page names.
interface SwaggerUiOptions {
  url: string;
  domNode: Element;
  deepLinking: boolean;
  // null: never send the document to an outside validator (and no badge fetched from one).
  validatorUrl: null;
  tryItOutEnabled: boolean;
  syntaxHighlight: { activated: boolean };
}

declare global {
  interface Window {
    SwaggerUIBundle?: (options: SwaggerUiOptions) => unknown;
  }
}

const root = document.getElementById('swagger-ui');
const url = root?.getAttribute('data-openapi-url');
if (root && url && window.SwaggerUIBundle) {
  window.SwaggerUIBundle({
    url,
    domNode: root,
    // No deep linking: with it, each operation's path is a link inside the button that opens the operation
    // (nested controls, which keyboards and screen readers handle badly).
    deepLinking: false,
    validatorUrl: null,
    tryItOutEnabled: false,
    // Plain example blocks: the highlighter's colours are below the AA contrast ratio on its dark background.
    syntaxHighlight: { activated: false },
  });
  // What Swagger UI renders without: names for its pickers, keyboard access to scrolling examples. Applied
  // to whatever it renders, as operations open and close.
  const label = (picker: HTMLSelectElement): string =>
    picker.id === 'servers'
      ? 'Server'
      : picker.classList.contains('examples-select-element')
        ? 'Example'
        : (picker.closest('tr[data-param-name]')?.getAttribute('data-param-name') ?? 'Choice');
  const complete = (): void => {
    for (const picker of root.querySelectorAll<HTMLSelectElement>('select:not([aria-label])')) {
      // A label's text counts without the options of the picker it wraps.
      const named = [...(picker.labels ?? [])].some(
        (element) => (element.textContent ?? '').replace(picker.textContent ?? '', '').trim() !== '',
      );
      if (!named) picker.setAttribute('aria-label', label(picker));
    }
    for (const block of root.querySelectorAll<HTMLElement>('.highlight-code > pre:not([tabindex])'))
      block.setAttribute('tabindex', '0');
  };
  new MutationObserver(complete).observe(root, { childList: true, subtree: true });
}
