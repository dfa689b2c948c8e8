// The cart: lines with quantity, remove and save for later; saved items; price changes to accept;
// shipping choice and totals. It follows the cart store, so a change made in another tab or on
// another device (pushed by the cart hub) shows here at once.
import { signedIn } from '../api.js';
import { h, money, replace, notice, describe } from '../dom.js';
import { shippingOptions } from '../shipping.js';
import { totals } from '../totals.js';
import * as cart from '../cart.js';

export default async function cartPage(main) {
  document.title = 'Cart — Commerce';
  const status = h('div', { class: 'cart-status' });
  const body = h('div', { id: 'cart-body' });
  replace(main, h('h1', null, 'Your cart'), status, body);

  const act = async (method, path, request = null) => {
    try {
      await cart.change(method, path, request);
      replace(status);
    } catch (error) {
      replace(status, notice(describe(error), 'error'));
    }
  };
  const shipping = await shippingOptions();
  const draw = (current) => { if (current) replace(body, view(current, act, shipping)); };
  const unsubscribe = cart.subscribe(draw);
  draw(cart.current());
  await cart.load();
  return unsubscribe;
}

function view(c, act, shipping) {
  if (c.lines.length === 0 && c.savedForLater.length === 0) {
    return h('div', { class: 'card empty-cart' }, h('p', null, 'Your cart is empty.'), h('a', { class: 'button', href: '/' }, 'Continue shopping'));
  }
  return h('div', { class: 'cart-layout' },
    h('section', { class: 'cart-lines', 'aria-label': 'Items in your cart' },
      c.hasPriceChanges && h('div', { class: 'notice notice-warn', role: 'status', id: 'price-changes' },
        h('p', null, 'Some prices changed since you added the items. Review them and accept the new prices to check out.'),
        h('button', { type: 'button', id: 'accept-prices', onclick: () => act('POST', '/accept-prices') }, 'Accept new prices')),
      c.lines.length === 0 ? h('p', null, 'No items in the cart — move a saved item back, or keep shopping.')
        : h('ul', { class: 'lines' }, c.lines.map((line) => lineItem(line, act, false))),
      c.savedForLater.length > 0 && [
        h('h2', null, 'Saved for later'),
        h('ul', { class: 'lines saved', id: 'saved' }, c.savedForLater.map((line) => lineItem(line, act, true))),
      ]),
    h('aside', { class: 'card summary', 'aria-label': 'Order summary' },
      h('h2', null, 'Summary'),
      shippingChoice(c.totals, act, shipping),
      totals(c.totals),
      c.hasUnavailableItems && notice('Some items cannot be bought now; remove them or save them for later.', 'warn'),
      checkoutLink(c)));
}

function checkoutLink(c) {
  const blocked = c.lines.length === 0 || c.hasPriceChanges || c.hasUnavailableItems;
  if (blocked) return h('button', { type: 'button', disabled: true, class: 'wide' }, 'Checkout');
  return signedIn()
    ? h('a', { class: 'button wide', href: '/checkout', id: 'checkout' }, 'Checkout')
    : h('a', { class: 'button wide', href: '/sign-in?next=/checkout', id: 'checkout' }, 'Sign in to check out');
}

function lineItem(line, act, saved) {
  const sku = encodeURIComponent(line.sku);
  const label = `Quantity of ${line.title}`;
  return h('li', { class: 'line', dataset: { sku: line.sku } },
    h('div', { class: 'line-main' },
      h('p', { class: 'line-title' }, line.title),
      line.priceChanged && line.currentPrice && h('p', { class: 'price-change' },
        'Price changed: ', h('s', null, money(line.priceSeen)), ' → ', h('strong', null, money(line.currentPrice))),
      line.unavailable && h('p', { class: 'stock stock-out' }, unavailable(line.unavailableReason)),
      h('p', { class: 'line-unit' }, `${money(line.currentPrice ?? line.priceSeen)} each`)),
    h('div', { class: 'line-actions' },
      !saved && h('label', { class: 'qty' }, h('span', { class: 'visually-hidden' }, label),
        h('input', { type: 'number', min: '1', max: String(line.limit), value: String(line.quantity), inputmode: 'numeric', 'aria-label': label,
          onchange: (event) => act('PUT', `/items/${sku}`, { quantity: Number(event.target.value) }) })),
      saved ? h('span', { class: 'qty-text' }, `× ${line.quantity}`) : null,
      h('p', { class: 'line-total' }, money(line.lineTotal)),
      saved
        ? h('button', { type: 'button', class: 'secondary', onclick: () => act('POST', `/items/${sku}/move-to-cart`) }, 'Move to cart')
        : h('button', { type: 'button', class: 'secondary', onclick: () => act('POST', `/items/${sku}/save-for-later`) }, 'Save for later'),
      h('button', { type: 'button', class: 'link', 'aria-label': `Remove ${line.title}`, onclick: () => act('DELETE', `/items/${sku}`) }, 'Remove')));
}

function unavailable(reason) {
  return { 'out-of-stock': 'Out of stock', 'not-for-sale': 'No longer for sale', 'removed-from-catalog': 'No longer in the catalog' }[reason] ?? 'Not available';
}

function shippingChoice(t, act, { methods, regions }) {
  const choose = (method, region) => act('PUT', '/shipping', { method, region });
  return h('div', { class: 'shipping-choice' },
    h('label', { for: 'ship-region' }, 'Ship to'),
    h('select', { id: 'ship-region', onchange: (event) => choose(t.shippingMethod, event.target.value || null) },
      h('option', { value: '', selected: !t.region }, 'Choose…'),
      regions.map(([code, name]) => h('option', { value: code, selected: t.region === code }, name))),
    h('label', { for: 'ship-method' }, 'Delivery'),
    h('select', { id: 'ship-method', onchange: (event) => choose(event.target.value, t.region) },
      methods.map(([code, name]) => h('option', { value: code, selected: t.shippingMethod === code }, name))));
}
