// The cart's totals as a definition list: subtotal, shipping, tax, total.
import { h, money } from './dom.js';

export function totals(t) {
  const rate = `${(t.taxRate * 100).toLocaleString('en', { maximumFractionDigits: 2 })}%`;
  return h('dl', { class: 'totals', id: 'totals' },
    h('dt', null, 'Subtotal'), h('dd', null, money(t.subtotal)),
    h('dt', null, 'Shipping'), h('dd', null, t.shipping.amount === 0 ? 'Free' : money(t.shipping)),
    h('dt', null, t.region ? `Tax (${rate})` : 'Tax (choose where to ship)'), h('dd', null, money(t.tax)),
    h('dt', { class: 'total' }, 'Total'), h('dd', { class: 'total', id: 'cart-total' }, money(t.total)),
    t.freeShippingFrom && t.shipping.amount > 0 && h('dd', { class: 'hint' }, `Free shipping from ${money(t.freeShippingFrom)}`));
}
