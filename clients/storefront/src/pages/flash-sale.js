// The flash-sale page: the countdown to the start, the queue (join, live position and estimated
// wait from the flash-sale hub, polling /queue/me while the socket is down), the turn to buy, and
// paying within the purchase's time. The place belongs to the customer, whose token api.js keeps in
// localStorage: a reload or a reconnect asks the gateway for the same place again.
import { api, session, accessToken, ApiError } from '../api.js';
import { h, replace, money, when, describe, notice } from '../dom.js';
import { loadSale } from './flash-sale.banner.js';
import { remaining } from './flash-sale.time.js';
import { shippingOptions, countryOf } from '../shipping.js';
import './flash-sale.css';

/** How often the page asks for the place while the hub is not connected. */
const POLL_MS = 2000;

/** How often the sale's units left are read again. */
const SALE_REFRESH_MS = 10_000;

function estimatedWait(position, ratePerSecond) {
  const seconds = Math.ceil(position / Math.max(1, ratePerSecond));
  if (seconds <= 5) return 'a few seconds';
  if (seconds < 60) return `about ${seconds} seconds`;
  return `about ${Math.round(seconds / 60)} minute${seconds < 90 ? '' : 's'}`;
}

/** An Idempotency-Key kept in localStorage under name until forget(): a double click or a reload retries, never repeats. */
function keptKey(name) {
  const storageKey = `commerce.flash-sale.key.${name}`;
  let key = localStorage.getItem(storageKey);
  if (!key) {
    key = crypto.randomUUID();
    localStorage.setItem(storageKey, key);
  }
  return { key, forget: () => localStorage.removeItem(storageKey) };
}

export default async function flashSalePage(main, { saleId }) {
  let sale;
  try {
    sale = await loadSale(saleId);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 400)) {
      document.title = 'Flash sale not found — Commerce';
      replace(main, h('h1', null, 'Flash sale not found'), h('p', null, 'There is no such sale. ', h('a', { href: '/' }, 'Back to the shop')));
      return undefined;
    }
    throw error;
  }
  if (!sale.title) {
    document.title = 'Flash sale over — Commerce';
    replace(main, h('h1', null, 'This flash sale is over'), h('p', null, h('a', { href: '/' }, 'Back to the shop')));
    return undefined;
  }

  const shipping = await shippingOptions();
  const base = `/api/v1/flash-sales/${encodeURIComponent(saleId)}`;
  let place = null; // the customer's QueueStatus; null until they have a token
  let purchase = null; // the FlashSalePurchase while it awaits payment
  let shownStep = '';
  let connection = null;
  let poll = 0;
  let disposed = false;

  const meta = h('p', { class: 'fs-meta' });
  const startsLine = h('p', { class: 'fs-starts' });
  const step = h('section', { class: 'fs-step card', 'aria-labelledby': 'fs-step-title' });
  const announcer = h('p', { class: 'visually-hidden', role: 'status' });
  const connectionLine = h('p', { class: 'fs-connection' });
  const saving = Math.round((1 - sale.price.amount / sale.regularPrice.amount) * 100);

  document.title = `Flash sale: ${sale.title} — Commerce`;
  replace(main, h('article', { class: 'flash-sale', 'aria-labelledby': 'fs-title' },
    h('p', { class: 'fs-kicker' }, 'Flash sale'),
    h('h1', { id: 'fs-title' }, sale.title),
    h('p', { class: 'fs-price' },
      h('span', { class: 'fs-now' }, money(sale.price)), ' ',
      h('del', null, h('span', { class: 'visually-hidden' }, 'instead of '), money(sale.regularPrice)), ' ',
      saving > 0 && h('span', { class: 'fs-saving' }, `${saving}% off`)),
    startsLine,
    meta,
    h('p', null, h('a', { href: `/product/${encodeURIComponent(sale.productId)}` }, 'About this product')),
    step,
    connectionLine,
    announcer));

  const say = (text) => { announcer.textContent = text; };

  function showSale() {
    const holdsOne = ['Admitted', 'Purchased', 'Paid'].includes(place?.state);
    const left = sale.phase !== 'SoldOut' ? `${sale.unitsLeft} left` : holdsOne ? 'Every unit is taken — one is yours' : 'Sold out';
    meta.textContent = `${left} · ${sale.perCustomerLimit} per customer · ends ${when(sale.endsAt)}`;
    if (sale.phase === 'Scheduled') {
      replace(startsLine, 'Starts in ', h('strong', { role: 'timer', 'aria-label': 'Time until the sale starts', dataset: { deadline: sale.startsAt } }, remaining(sale.startsAt)),
        ` (${when(sale.startsAt)})`);
    } else {
      replace(startsLine, sale.phase === 'Live' ? h('strong', { class: 'fs-live' }, 'Live now') : null);
    }
  }

  async function refreshSale() {
    try {
      const next = await loadSale(saleId);
      if (!disposed && next.title) sale = next;
    } catch {
      return; // the next refresh tries again
    }
    showSale();
    show();
  }

  // ---- the customer's place -------------------------------------------------------------------

  function take(status) {
    if (disposed || !status) return;
    place = status;
    showSale();
    if (place.state === 'Purchased' && purchase?.purchaseId !== place.purchaseId) {
      api('GET', `${base}/purchases/${encodeURIComponent(place.purchaseId)}`).then((found) => { purchase = found; show(); }, () => {});
    }
    show();
  }

  async function refreshPlace() {
    try {
      take(await api('GET', `${base}/queue/me`));
    } catch {
      // Polling again shortly, or the hub's next push, brings it.
    }
  }

  function startPolling() {
    connectionLine.textContent = 'Live updates paused: checking your place every few seconds.';
    if (poll) return;
    poll = setInterval(refreshPlace, POLL_MS);
    refreshPlace();
  }

  function stopPolling() {
    connectionLine.textContent = '';
    clearInterval(poll);
    poll = 0;
  }

  /** The hub pushes position, admission, sold out and the end; SignalR is loaded only on this page. */
  async function follow() {
    if (connection || disposed) return;
    const { HubConnectionBuilder } = await import('@microsoft/signalr');
    if (connection || disposed) return;
    connection = new HubConnectionBuilder()
      .withUrl('/hubs/flash-sale', { accessTokenFactory: () => accessToken() })
      .withAutomaticReconnect({ nextRetryDelayInMilliseconds: (retry) => Math.min(10_000, 500 * 2 ** retry.previousRetryCount) })
      .build();
    const mine = (id) => id === saleId && !disposed;
    connection.on('Position', (id, position) => {
      if (mine(id) && place?.state === 'Waiting') take({ ...place, position });
    });
    connection.on('Admitted', (id, token) => {
      if (mine(id)) take({ ...place, state: 'Admitted', position: null, token });
    });
    // Sold out and the end change what the customer may do: ask for the place as the sale sees it.
    connection.on('SoldOut', (id) => { if (mine(id)) { refreshPlace(); refreshSale(); } });
    connection.on('SaleEnded', (id) => { if (mine(id)) { refreshPlace(); refreshSale(); } });
    connection.onreconnecting(startPolling);
    connection.onreconnected(async () => {
      stopPolling();
      try {
        take(await connection.invoke('Subscribe', saleId));
      } catch {
        startPolling();
      }
    });
    // Reconnecting gave up: polling goes on for as long as the page is open.
    connection.onclose(() => { if (!disposed) startPolling(); });
    try {
      await connection.start();
      if (disposed) return;
      take(await connection.invoke('Subscribe', saleId));
      stopPolling();
    } catch (error) {
      console.warn('flash-sale hub unavailable; polling', error);
      startPolling();
    }
  }

  // ---- actions --------------------------------------------------------------------------------

  async function join(button, problem) {
    button.disabled = true;
    try {
      take(await api('POST', `${base}/queue`));
      say(`You are in the queue, number ${place.position}.`);
      follow();
    } catch (error) {
      button.disabled = false;
      if (error instanceof ApiError && error.problem.code === 'sold-out') take({ state: 'SoldOut' });
      else if (error instanceof ApiError && error.problem.code === 'sale-over') take({ state: 'SaleOver' });
      else replace(problem, notice(describe(error), 'error'));
    }
  }

  async function buy(button, quantity, problem) {
    button.disabled = true;
    const idempotency = keptKey(`${saleId}.purchase.${place.token.value.slice(0, 16)}`);
    try {
      purchase = await api('POST', `${base}/purchases`, { token: place.token.value, quantity }, { headers: { 'Idempotency-Key': idempotency.key } });
      take({ ...place, state: 'Purchased', token: null, purchaseId: purchase.purchaseId, payBy: purchase.payBy });
      say(`Bought. Pay within ${remaining(purchase.payBy)}.`);
    } catch (error) {
      button.disabled = false;
      replace(problem, notice(describe(error), 'error'));
      if (error instanceof ApiError && error.status === 409) refreshPlace();
    }
  }

  async function pay(form, problem) {
    const data = new FormData(form);
    const [expMonth, expYear] = String(data.get('expiry')).split('/').map((part) => Number.parseInt(part, 10));
    const body = {
      shipping: {
        method: data.get('method'), region: data.get('region'),
        address: { name: data.get('name'), line1: data.get('line1'), city: data.get('city'), postalCode: data.get('postalCode'), country: countryOf(data.get('region')) },
      },
      card: { number: String(data.get('card')).replace(/\s+/g, ''), expMonth, expYear: expYear < 100 ? 2000 + expYear : expYear, cvc: data.get('cvc') },
    };
    const idempotency = keptKey(`${saleId}.checkout.${place.purchaseId}`);
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    replace(problem);
    try {
      const { status, data: order } = await api('POST', `${base}/purchases/${encodeURIComponent(place.purchaseId)}/checkout`, body,
        { headers: { 'Idempotency-Key': idempotency.key }, withStatus: true });
      if (status === 202) {
        replace(problem, notice('Your bank asks you to confirm this payment; the order waits for it.', 'warn'));
        button.disabled = false;
        return;
      }
      take({ ...place, state: 'Paid', orderId: order.orderId, payBy: null });
      say('Paid. Your order is placed.');
      refreshSale();
    } catch (error) {
      button.disabled = false;
      // A declined card may be tried again (with a new order) until the time is up.
      if (error instanceof ApiError && error.status === 402) idempotency.forget();
      const fields = error instanceof ApiError ? Object.keys(error.problem.errors ?? {}) : [];
      replace(problem, notice(describe(error) + (fields.length ? ` (${fields.join(', ')})` : ''), 'error'));
      if (error instanceof ApiError && error.status === 409) refreshPlace();
    }
  }

  // ---- rendering ------------------------------------------------------------------------------

  const title = (text) => h('h2', { id: 'fs-step-title' }, text);
  const timer = (deadline, label) => h('strong', { role: 'timer', 'aria-label': label, dataset: { deadline } }, remaining(deadline));

  function stepKey() {
    const state = place?.state ?? (sale.phase === 'SoldOut' ? 'SoldOut' : 'NotQueued');
    if (state === 'Waiting') return `Waiting:${place.position}:${sale.phase}`;
    if (state === 'Purchased') return `Purchased:${place.purchaseId}:${purchase?.purchaseId ?? ''}`;
    return `${state}:${state === 'NotQueued' ? sale.phase : ''}`;
  }

  /** Renders the step when what the customer can do changed (never while they type in a form that is still valid). */
  function show() {
    const key = stepKey();
    if (key === shownStep) return;
    shownStep = key;
    const problem = h('div');
    const state = key.split(':')[0];
    switch (state) {
      case 'NotQueued': {
        const button = h('button', { type: 'button', class: 'fs-cta', onclick: () => join(button, problem) }, 'Join the queue');
        replace(step, title(sale.phase === 'Scheduled' ? 'Get in line before it opens' : 'Get your place in line'),
          h('p', null, sale.phase === 'Scheduled'
            ? 'Customers are let in one after another in the order they joined, once the sale opens. Your place is kept if you reload.'
            : 'Customers are let in one after another in the order they joined.'),
          button, problem);
        break;
      }
      case 'Waiting':
        replace(step, title('You are in the queue'),
          h('p', { class: 'fs-position' }, 'Your place: ', h('strong', null, `number ${place.position}`)),
          h('p', null, sale.phase === 'Live'
            ? `Estimated wait: ${estimatedWait(place.position, sale.admissionRatePerSecond)}. Keep this page open; it updates by itself.`
            : 'The queue starts moving when the sale opens. Keep this page open; it updates by itself.'));
        say(`Your place in the queue: number ${place.position}.`);
        break;
      case 'Admitted': {
        const allowed = place.token.quantity;
        const quantity = allowed > 1
          ? h('select', { id: 'fs-quantity', name: 'quantity' }, Array.from({ length: allowed }, (_, i) => h('option', { value: i + 1 }, String(i + 1))))
          : null;
        const button = h('button', { type: 'button', class: 'fs-cta', onclick: () => buy(button, quantity ? Number(quantity.value) : 1, problem) },
          `Buy now for ${money(sale.price)}`);
        replace(step, title('It is your turn'),
          h('p', null, 'Buy within ', timer(place.token.expiresAt, 'Time left to buy'), ' — after that the next customer gets the unit.'),
          quantity && h('p', { class: 'field' }, h('label', { for: 'fs-quantity' }, 'Quantity'), quantity),
          button, problem);
        say('It is your turn: you may buy now.');
        break;
      }
      case 'Purchased':
        replace(step, title('Pay to complete your order'),
          h('p', null, 'The unit is yours if you pay within ', timer(place.payBy, 'Time left to pay'), '.'),
          purchase && h('p', null, `Total for ${purchase.quantity} × ${sale.title}: `, h('strong', null, money(purchase.total)), ' plus shipping and tax.'),
          checkoutForm(problem), problem);
        say(`Bought. Pay within ${remaining(place.payBy)}.`);
        break;
      case 'Paid':
        replace(step, title('Paid — your order is placed'),
          notice('Thank you! The unit is yours.', 'ok'),
          h('p', null, 'Order ', h('a', { href: `/orders/${encodeURIComponent(place.orderId)}` }, place.orderId), '.'));
        break;
      case 'SoldOut':
        replace(step, title('Sold out'),
          h('p', null, 'Every unit is sold.'),
          place?.position != null && h('p', null, `You keep your place (number ${place.position}) in case a buyer does not pay in time.`));
        say('Sold out.');
        break;
      case 'Expired':
        replace(step, title('Time to pay ran out'), h('p', null, 'The unit went back to the sale for the next customer.'));
        break;
      case 'TokenExpired':
        replace(step, title('Your turn passed'), h('p', null, 'You did not buy in time; the unit went to the next customer.'));
        break;
      default:
        replace(step, title('The sale is over'), h('p', null, h('a', { href: '/' }, 'Back to the shop')));
    }
  }

  function checkoutForm(problem) {
    const field = (id, label, input) => h('div', { class: 'field' }, h('label', { for: id }, label), input);
    const text = (id, name, autocomplete, extra = {}) => h('input', { id, name, autocomplete, required: true, ...extra });
    const form = h('form', { class: 'form fs-checkout', onsubmit: (event) => { event.preventDefault(); pay(form, problem); } },
      h('fieldset', null, h('legend', null, 'Shipping'),
        field('fs-name', 'Full name', text('fs-name', 'name', 'name')),
        field('fs-line1', 'Street and number', text('fs-line1', 'line1', 'address-line1')),
        h('div', { class: 'fs-row' },
          field('fs-postal', 'Postal code', text('fs-postal', 'postalCode', 'postal-code')),
          field('fs-city', 'City', text('fs-city', 'city', 'address-level2'))),
        field('fs-region', 'Country / region', h('select', { id: 'fs-region', name: 'region' },
          shipping.regions.map(([code, name]) => h('option', { value: code }, name)))),
        field('fs-method', 'Delivery', h('select', { id: 'fs-method', name: 'method' },
          shipping.methods.map(([code, name]) => h('option', { value: code, selected: code === shipping.defaultMethod }, name))))),
      h('fieldset', null, h('legend', null, 'Card'),
        field('fs-card', 'Card number', text('fs-card', 'card', 'cc-number', { inputmode: 'numeric', placeholder: '4242 4242 4242 4242' })),
        h('div', { class: 'fs-row' },
          field('fs-expiry', 'Expiry (MM/YY)', text('fs-expiry', 'expiry', 'cc-exp', { placeholder: 'MM/YY', pattern: '\\d{1,2}/\\d{2,4}' })),
          field('fs-cvc', 'CVC', text('fs-cvc', 'cvc', 'cc-csc', { inputmode: 'numeric', pattern: '\\d{3,4}' })))),
      h('button', { type: 'submit', class: 'fs-cta' }, 'Pay now'));
    return form;
  }

  // ---- timers and start -------------------------------------------------------------------------

  const ticker = setInterval(() => {
    for (const element of main.querySelectorAll('[data-deadline]')) {
      element.textContent = remaining(element.dataset.deadline);
    }
    if (sale.phase === 'Scheduled' && new Date(sale.startsAt).getTime() <= Date.now()) refreshSale();
  }, 1000);
  const saleRefresh = setInterval(refreshSale, SALE_REFRESH_MS);

  showSale();
  show();
  // A customer who has a token may be in the queue already (a reload, another tab): ask for the place.
  if (session()) {
    await refreshPlace();
    follow();
  }

  return () => {
    disposed = true;
    clearInterval(ticker);
    clearInterval(saleRefresh);
    clearInterval(poll);
    connection?.stop();
  };
}
