// Every console page: move focus to the error summary when a form came back with problems, so a screen reader
// announces it and the keyboard starts there.
const summary = document.querySelector<HTMLElement>('[data-error-summary]');
if (summary) summary.focus();
export {};
