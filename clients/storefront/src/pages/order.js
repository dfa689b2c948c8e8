// One order: its lines and totals, where it is on the way (tracking), its history, and cancel
// (before it ships) or return (once delivered).
import { api, signedIn } from '../api.js';
import { h, money, replace, when, notice, describe } from '../dom.js';
import { navigate } from '../router.js';

const LABELS = {
  Pending: 'Being placed', Confirmed: 'Confirmed', Processing: 'Being packed', Shipped: 'Shipped', Delivered: 'Delivered',
  Cancelled: 'Cancelled', ReturnRequested: 'Return requested', ReturnApproved: 'Return approved', Refunded: 'Refunded',
};
const TRACK = ['Confirmed', 'Processing', 'Shipped', 'Delivered'];
const CANCELLABLE = ['Pending', 'Confirmed', 'Processing'];

export const statusLabel = (status) => LABELS[status] ?? status;

export default async function order(main, { id }, query) {
  document.title = 'Order — Commerce';
  if (!signedIn()) {
    navigate(`/sign-in?next=${encodeURIComponent(location.pathname)}`, { replace: true });
    return;
  }
  const status = h('div', { id: 'order-status' }, query.get('placed') && notice('Thank you — your order is placed.', 'ok'));
  const body = h('div');
  const act = async (action, confirmText) => {
    if (!confirm(confirmText)) return;
    try {
      draw(await api('POST', `/api/v1/orders/${encodeURIComponent(id)}/${action}`, {}));
      replace(status, notice(action === 'cancel' ? 'The order is cancelled; your payment is voided or refunded.' : 'Your return request is sent.', 'ok'));
    } catch (error) {
      replace(status, notice(describe(error), 'error'));
    }
  };
  const draw = (o) => replace(body, view(o, act));
  replace(main, h('p', null, h('a', { href: '/orders' }, '← All orders')), h('h1', null, `Order ${id}`), status, body);
  draw(await api('GET', `/api/v1/orders/${encodeURIComponent(id)}`));
}

function view(o, act) {
  const a = o.address;
  return h('div', { class: 'order-layout' },
    h('section', { class: 'card' },
      h('h2', null, 'Status: ', h('span', { id: 'order-state' }, statusLabel(o.status))),
      tracking(o),
      o.cancellationReason && h('p', null, o.cancellationReason),
      h('div', { class: 'order-actions' },
        CANCELLABLE.includes(o.status) && !o.inProgress &&
          h('button', { type: 'button', class: 'secondary', id: 'cancel-order', onclick: () => act('cancel', 'Cancel this order?') }, 'Cancel order'),
        o.status === 'Delivered' &&
          h('button', { type: 'button', class: 'secondary', id: 'return-order', onclick: () => act('return', 'Return this order?') }, 'Return order'))),
    h('section', { class: 'card' },
      h('h2', null, 'Items'),
      h('ul', { class: 'summary-lines' }, o.lines.map((line) =>
        h('li', null, h('span', null, `${line.quantity} × ${line.title}`), h('span', null, money(line.lineTotal))))),
      h('dl', { class: 'totals' },
        h('dt', null, 'Subtotal'), h('dd', null, money(o.subtotal)),
        h('dt', null, 'Shipping'), h('dd', null, o.shipping.amount === 0 ? 'Free' : money(o.shipping)),
        h('dt', null, 'Tax'), h('dd', null, money(o.tax)),
        h('dt', { class: 'total' }, 'Total'), h('dd', { class: 'total' }, money(o.total)))),
    h('section', { class: 'card' },
      h('h2', null, 'Delivery and payment'),
      h('address', null, a.name, h('br'), a.line1, a.line2 && [h('br'), a.line2], h('br'), `${a.postalCode} ${a.city}`, h('br'), a.country),
      h('p', null, `${o.shippingMethod} shipping · paid with ${o.cardBrand} ending ${o.cardLast4}`)),
    h('section', { class: 'card' },
      h('h2', null, 'History'),
      h('ol', { class: 'history' }, o.history.map((event) => h('li', null,
        h('strong', null, statusLabel(event.status)), ' — ', when(event.at), event.note && ` — ${event.note}`)))));
}

/** Confirmed → Being packed → Shipped → Delivered, with the steps reached so far marked. */
function tracking(o) {
  const reached = TRACK.indexOf(o.status);
  if (reached < 0) return null;
  return h('ol', { class: 'tracking', 'aria-label': 'Tracking' }, TRACK.map((step, i) =>
    h('li', { class: i <= reached ? 'done' : '', 'aria-current': i === reached ? 'step' : null }, statusLabel(step))));
}
