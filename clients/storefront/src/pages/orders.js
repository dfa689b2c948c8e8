// Order history: the signed-in customer's orders, newest first, a page at a time.
import { api, signedIn } from '../api.js';
import { h, money, replace, when } from '../dom.js';
import { navigate } from '../router.js';
import { statusLabel } from './order.js';

export default async function orders(main) {
  document.title = 'Your orders — Commerce';
  if (!signedIn()) {
    navigate('/sign-in?next=/orders', { replace: true });
    return;
  }
  const list = h('ul', { class: 'orders', id: 'orders' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Show older orders');
  let cursor = null;
  const load = async () => {
    const page = await api('GET', `/api/v1/orders?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    list.append(...page.orders.map((order) => h('li', { class: 'order-row card' },
      h('a', { href: `/orders/${encodeURIComponent(order.orderId)}`, class: 'order-link' }, `Order ${order.orderId}`),
      h('span', null, when(order.placedAt)),
      h('span', null, `${order.items} item${order.items === 1 ? '' : 's'}`),
      h('span', { class: 'order-total' }, money(order.total)),
      h('span', { class: `badge-status status-${order.status.toLowerCase()}` }, statusLabel(order.status)))));
    cursor = page.nextCursor;
    more.hidden = !cursor;
    if (!list.children.length) list.replaceWith(h('p', null, 'No orders yet. ', h('a', { href: '/' }, 'Start shopping')));
  };
  more.addEventListener('click', load);
  replace(main, h('h1', null, 'Your orders'), list, more);
  await load();
}
