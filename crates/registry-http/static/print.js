// The print buttons of the site ([data-print]): shown only where script runs, they print
// the page (its print style leaves the navigation out). The pages need no script otherwise.
for (const button of document.querySelectorAll('[data-print]')) {
  button.hidden = false;
  button.addEventListener('click', () => window.print());
}
