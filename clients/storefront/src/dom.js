// Tiny DOM helpers: the pages build their elements with h() instead of a framework.

/**
 * h('a', { href: '/x', class: 'link', onclick: fn }, 'text', child, [more]) → an element.
 * Attributes named on* become listeners; null/false attributes and children are skipped;
 * strings become text nodes (never parsed as HTML).
 */
export function h(tag, attrs, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value == null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child == null || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces everything inside element with children. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

const formats = new Map();

/** A Money ({ amount, currency }) as the shopper reads it: "€25.00". */
export function money(value) {
  if (!value) return '';
  let format = formats.get(value.currency);
  if (!format) {
    format = new Intl.NumberFormat('en', { style: 'currency', currency: value.currency });
    formats.set(value.currency, format);
  }
  return format.format(value.amount);
}

/** A date and time in the shopper's locale. */
export function when(iso) {
  return iso ? new Date(iso).toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short' }) : '';
}

/** A problem (or any error) as one sentence for the page. */
export function describe(error) {
  return error?.problem?.detail ?? error?.problem?.title ?? error?.message ?? String(error);
}

/** A status line that screen readers announce: role=status for news, role=alert for failures. */
export function notice(text, kind = 'status') {
  return h('p', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}
