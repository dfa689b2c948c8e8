// Checkout: address and card, then one order. The Idempotency-Key is made once per checkout and
// kept in localStorage until the order is settled, so a double click, a retry after a network
// error or a reload all send the same key — the gateway answers the same order, never a second.
import { api, signedIn, ApiError } from '../api.js';
import { h, money, replace, notice, describe } from '../dom.js';
import { field, showProblem } from '../forms.js';
import { navigate } from '../router.js';
import { shippingOptions, countryOf } from '../shipping.js';
import { totals } from '../totals.js';
import * as cart from '../cart.js';

const KEY = 'commerce.checkout';

/** The pending checkout: { key, request } — the same body goes with the same key. */
const pending = () => JSON.parse(localStorage.getItem(KEY) ?? 'null');

export default async function checkout(main) {
  document.title = 'Checkout — Commerce';
  if (!signedIn()) {
    navigate('/sign-in?next=/checkout', { replace: true });
    return;
  }
  const [current, shipping] = await Promise.all([cart.load(), shippingOptions()]);
  const status = h('div', { id: 'checkout-status' });
  const saved = pending();
  if (current.lines.length === 0 && !saved) {
    replace(main, h('h1', null, 'Checkout'), h('p', null, 'Your cart is empty. ', h('a', { href: '/' }, 'Keep shopping')));
    return;
  }
  const last = saved?.request;
  const address = last?.shipping.address ?? {};
  const form = h('form', { class: 'checkout-form', novalidate: true, onsubmit: (event) => {
    event.preventDefault();
    place(form, status, requestFrom(new FormData(form)));
  } },
  h('fieldset', { class: 'card' },
    h('legend', null, 'Delivery address'),
    field('Full name', 'shipping.address.name', { autocomplete: 'name', required: true, value: address.name ?? '' }),
    field('Street address', 'shipping.address.line1', { autocomplete: 'address-line1', required: true, value: address.line1 ?? '' }),
    field('Address line 2 (optional)', 'shipping.address.line2', { autocomplete: 'address-line2', value: address.line2 ?? '' }),
    h('div', { class: 'field-row' },
      field('Postal code', 'shipping.address.postalCode', { autocomplete: 'postal-code', required: true, value: address.postalCode ?? '' }),
      field('City', 'shipping.address.city', { autocomplete: 'address-level2', required: true, value: address.city ?? '' })),
    field('Country / region', 'shipping.region', { options: shipping.regions, value: last?.shipping.region ?? current.totals.region ?? 'DE' }),
    field('Delivery', 'shipping.method', { options: shipping.methods, value: last?.shipping.method ?? current.totals.shippingMethod })),
  h('fieldset', { class: 'card' },
    h('legend', null, 'Payment'),
    h('p', { class: 'hint' }, 'Test cards: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined, 4000 0025 0000 3155 asks for 3-D Secure.'),
    field('Card number', 'card.number', { autocomplete: 'cc-number', inputmode: 'numeric', required: true }),
    h('div', { class: 'field-row' },
      field('Expiry (MM/YY)', 'card.expMonth', { autocomplete: 'cc-exp', placeholder: 'MM/YY', required: true }),
      field('Security code', 'card.cvc', { autocomplete: 'cc-csc', inputmode: 'numeric', required: true }))),
  h('button', { type: 'submit', id: 'place-order', class: 'wide' }, `Place order — ${money(current.totals.total)}`));

  replace(main, h('h1', null, 'Checkout'), status,
    h('div', { class: 'checkout-layout' }, form,
      h('aside', { class: 'card summary', 'aria-label': 'Order summary' },
        h('h2', null, 'Your order'),
        h('ul', { class: 'summary-lines' }, current.lines.map((line) =>
          h('li', null, h('span', null, `${line.quantity} × ${line.title}`), h('span', null, money(line.lineTotal))))),
        totals(current.totals))));

  // A reload during a checkout: ask the gateway about the same key, which answers the one order.
  if (saved) {
    replace(status, notice('Finishing the order you placed before…'));
    await submit(form, status, saved);
  }
}

function requestFrom(data) {
  const [month, year] = String(data.get('card.expMonth')).split('/').map((part) => Number.parseInt(part.trim(), 10));
  const region = String(data.get('shipping.region'));
  return {
    shipping: {
      method: String(data.get('shipping.method')),
      region,
      address: {
        name: String(data.get('shipping.address.name')).trim(),
        line1: String(data.get('shipping.address.line1')).trim(),
        line2: String(data.get('shipping.address.line2')).trim() || null,
        city: String(data.get('shipping.address.city')).trim(),
        postalCode: String(data.get('shipping.address.postalCode')).trim(),
        country: countryOf(region),
      },
    },
    card: {
      number: String(data.get('card.number')).replace(/[\s-]/g, ''),
      expMonth: Number.isFinite(month) ? month : null,
      expYear: Number.isFinite(year) ? (year < 100 ? 2000 + year : year) : null,
      cvc: String(data.get('card.cvc')).trim(),
    },
  };
}

let inFlight = null;

/** One order per checkout: the first click makes the key, later clicks (and the same body) reuse it. */
function place(form, status, request) {
  const saved = pending();
  const same = saved && JSON.stringify(saved.request) === JSON.stringify(request);
  // Edited details after a refusal are a new attempt: a new key (the old one stands for the old body).
  const attempt = same ? saved : { key: crypto.randomUUID(), request };
  localStorage.setItem(KEY, JSON.stringify(attempt));
  return submit(form, status, attempt);
}

async function submit(form, status, attempt) {
  if (inFlight) return inFlight;
  const button = form.querySelector('#place-order');
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  inFlight = (async () => {
    try {
      let { status: code, data: order } = await api('POST', '/api/v1/orders', attempt.request,
        { headers: { 'Idempotency-Key': attempt.key }, withStatus: true });
      if (code === 202) order = await settle(order, status, attempt);
      // Gone to the bank's page: the key stays, to ask about the same order on the way back.
      if (!order) return;
      localStorage.removeItem(KEY);
      await cart.load().catch(() => {});
      navigate(`/orders/${encodeURIComponent(order.orderId)}?placed=1`, { replace: true });
    } catch (error) {
      // A refusal is final for this key: the next try is a new checkout. A network failure keeps it, to retry as the same order.
      if (error instanceof ApiError) localStorage.removeItem(KEY);
      showProblem(form, status, error instanceof ApiError ? error : new Error(`${describe(error)} — press Place order again to retry the same order.`));
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
      inFlight = null;
    }
  })();
  return inFlight;
}

/**
 * 202: the order is still being placed. When the card's bank asks for 3-D Secure the order says
 * what the browser must do (paymentAction): with a redirect URL, this tab goes to the bank's page
 * once (it comes back here, and the saved key is asked again: null means the page was left);
 * otherwise the order finishes on its own. Either way, poll it.
 */
async function settle(order, status, attempt) {
  for (;;) {
    const action = order.paymentAction;
    if (action?.redirectUrl && !attempt.authenticating) {
      localStorage.setItem(KEY, JSON.stringify({ ...attempt, authenticating: true }));
      toBank(action.redirectUrl);
      return null;
    }
    if (action) {
      // Back from the bank before the order heard of it, or without answering: wait, with the way back to the bank.
      replace(status, notice(h('span', null, 'Your bank asks you to confirm this payment. ',
        action.redirectUrl
          ? h('a', { href: bankUrl(action.redirectUrl).href }, 'Confirm with your bank')
          : 'Confirm it in your banking app; this page continues by itself.'), 'warn'));
    } else {
      replace(status, notice('Placing your order…'));
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    order = await api('GET', `/api/v1/orders/${encodeURIComponent(order.orderId)}`);
    if (!order.inProgress) {
      if (order.status === 'Cancelled') throw new ApiError(402, { title: 'The payment did not go through.', detail: order.cancellationReason ?? 'The order was cancelled.' });
      return order;
    }
  }
}

/** The bank's page: on this site (the built-in test bank) it returns here when answered; another site is the provider's own. */
function bankUrl(redirectUrl) {
  const url = new URL(redirectUrl, location.href);
  if (url.origin === location.origin) url.searchParams.set('return', '/checkout');
  return url;
}

function toBank(redirectUrl) {
  const url = bankUrl(redirectUrl);
  if (url.origin === location.origin) navigate(url.pathname + url.search);
  else location.assign(url.href);
}
