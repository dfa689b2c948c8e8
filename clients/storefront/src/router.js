// Client-side routing: links inside the app change the URL with the History API and render the
// matching page module into <main>; the gateway answers every page URL with index.html.
import { routes } from './routes.js';
import { h, replace } from './dom.js';

const main = () => document.getElementById('main');
let cleanup = null;
let rendering = 0;

function match(pathname) {
  const parts = pathname.split('/').filter(Boolean);
  for (const route of routes) {
    const pattern = route.path.split('/').filter(Boolean);
    if (pattern.length !== parts.length) continue;
    const params = {};
    if (pattern.every((p, i) => (p.startsWith(':') ? ((params[p.slice(1)] = decodeURIComponent(parts[i])), true) : p === parts[i]))) {
      return { route, params };
    }
  }
  return null;
}

/** Goes to url (same origin) as a link would; replace: true rewrites the current history entry. */
export function navigate(url, { replace: replaceEntry = false } = {}) {
  const target = new URL(url, location.href);
  if (replaceEntry) history.replaceState(null, '', target);
  else history.pushState(null, '', target);
  render({ focus: true });
}

async function render({ focus }) {
  const ticket = ++rendering;
  cleanup?.();
  cleanup = null;
  const found = match(location.pathname);
  const container = main();
  try {
    const module = await (found ? found.route.page() : import('./pages/not-found.js'));
    if (ticket !== rendering) return;
    container.setAttribute('aria-busy', 'true');
    const dispose = await module.default(container, found?.params ?? {}, new URLSearchParams(location.search));
    if (ticket !== rendering) {
      dispose?.();
      return;
    }
    cleanup = dispose ?? null;
    dispatchEvent(new CustomEvent('pagechange'));
  } catch (error) {
    if (ticket !== rendering) return;
    console.error(error);
    replace(container, h('h1', null, 'Something went wrong'), h('p', { role: 'alert' }, error?.message ?? String(error)));
  } finally {
    if (ticket === rendering) container.removeAttribute('aria-busy');
  }
  // A new page: move focus to its content (screen readers announce it) without scrolling on first load.
  if (focus) {
    window.scrollTo(0, 0);
    container.focus({ preventScroll: true });
  }
}

/** Starts routing: intercepts same-origin links and back/forward, and renders the current URL. */
export function start() {
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = event.target.closest?.('a[href]');
    if (!link || link.target || link.hasAttribute('download') || link.origin !== location.origin) return;
    if (/^\/(api|hubs|dashboard|orleans-dashboard|openapi|health)(\/|$)/.test(link.pathname)) return;
    event.preventDefault();
    navigate(link.href);
  });
  addEventListener('popstate', () => render({ focus: true }));
  render({ focus: false });
}
