// A product: pick a variant by its options (size, colour, ...), see that variant's price and stock, add it to the cart.
import { read, ApiError } from '../api.js';
import { h, money, replace, notice, describe } from '../dom.js';
import { breadcrumbs } from './category.js';
import { capitalise } from '../listing.js';
import * as cart from '../cart.js';

const STOCK = {
  InStock: ['In stock', 'stock-in'],
  Low: ['Only a few left', 'stock-low'],
  OutOfStock: ['Out of stock', 'stock-out'],
};

export default async function product(main, { id }) {
  let item;
  try {
    item = await read(`/api/v1/catalog/products/${encodeURIComponent(id)}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      document.title = 'Not found — Commerce';
      replace(main, h('h1', null, 'This product is not available'), h('p', null, h('a', { href: '/' }, 'Back to the shop')));
      return;
    }
    throw error;
  }
  document.title = `${item.title} — Commerce`;
  const options = Object.entries(item.variantOptions);
  const buyable = (sku) => sku.stock !== 'OutOfStock' || sku.backorderAllowed;
  // Start on the first variant that can be bought, so the page opens on something to add.
  const chosen = { ...(item.skus.find(buyable) ?? item.skus[0])?.options };
  const variantFor = (choice) => item.skus.find((sku) => options.every(([name]) => sku.options[name] === choice[name]));

  const price = h('p', { class: 'price', id: 'variant-price', 'aria-live': 'polite' });
  const stock = h('p', { class: 'stock', id: 'variant-stock', 'aria-live': 'polite' });
  const quantity = h('input', { id: 'quantity', type: 'number', min: '1', max: '99', value: '1', inputmode: 'numeric', required: true });
  const add = h('button', { type: 'submit', id: 'add-to-cart' }, 'Add to cart');
  const status = h('div', { class: 'add-status' });
  const pickers = options.map(([name, values]) => h('fieldset', { class: 'picker' },
    h('legend', null, capitalise(name)),
    h('div', { class: 'picker-values' }, values.map((value) => {
      const input = h('input', { type: 'radio', name: `option-${name}`, value, checked: chosen[name] === value, class: 'visually-hidden',
        onchange: () => { chosen[name] = value; show(); } });
      return h('label', { class: 'picker-value', dataset: { option: name, value } }, input, h('span', null, value));
    }))));

  function show() {
    const sku = variantFor(chosen);
    for (const label of main.querySelectorAll('.picker-value')) {
      // A value is struck through when, with the other choices kept, it would be sold out or not made.
      const other = variantFor({ ...chosen, [label.dataset.option]: label.dataset.value });
      label.classList.toggle('unavailable', !other || !buyable(other));
    }
    if (!sku) {
      price.textContent = '';
      stock.textContent = 'This combination is not made.';
      stock.className = 'stock stock-out';
      add.disabled = true;
      return;
    }
    price.textContent = money(sku.price);
    const [text, style] = STOCK[sku.stock] ?? STOCK.OutOfStock;
    stock.textContent = sku.stock === 'OutOfStock' && sku.backorderAllowed ? 'Out of stock — ships when back' : text;
    stock.className = `stock ${style}`;
    add.disabled = !buyable(sku);
    if (sku.purchaseLimit) quantity.max = String(sku.purchaseLimit);
  }

  const form = h('form', { class: 'buy', onsubmit: async (event) => {
    event.preventDefault();
    const sku = variantFor(chosen);
    add.disabled = true;
    try {
      await cart.change('POST', '/items', { sku: sku.code, quantity: Number(quantity.value) });
      replace(status, notice(h('span', null, `Added ${sku.title} to your cart. `, h('a', { href: '/cart' }, 'View cart')), 'ok'));
    } catch (error) {
      replace(status, notice(describe(error), 'error'));
    } finally {
      show();
    }
  } },
  pickers, price, stock,
  h('div', { class: 'buy-row' }, h('label', { for: 'quantity' }, 'Quantity'), quantity, add),
  status);

  replace(main,
    breadcrumbs(item.breadcrumbs),
    h('article', { class: 'product' },
      picture(item),
      h('div', { class: 'product-info' },
        h('h1', null, item.title),
        item.brand && h('p', { class: 'product-brand' }, item.brand),
        form,
        h('p', { class: 'description' }, item.description),
        attributes(item.attributes))),
    h('section', { class: 'variants' },
      h('h2', null, 'All variants'),
      h('table', null,
        h('thead', null, h('tr', null, options.map(([name]) => h('th', { scope: 'col' }, capitalise(name))), h('th', { scope: 'col' }, 'Price'), h('th', { scope: 'col' }, 'Stock'))),
        h('tbody', null, inOptionOrder(item.skus, options).map((sku) => h('tr', null,
          options.map(([name]) => h('td', null, sku.options[name] ?? '')),
          h('td', null, money(sku.price)),
          h('td', null, STOCK[sku.stock]?.[0] ?? sku.stock)))))));
  show();
}

/** The SKUs ordered as the product lists its option values (S, M, L; then black, white). */
function inOptionOrder(skus, options) {
  const rank = (sku) => options.map(([name, values]) => values.indexOf(sku.options[name]));
  return [...skus].sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    const i = x.findIndex((value, k) => value !== y[k]);
    return i < 0 ? 0 : x[i] - y[i];
  });
}

/** The first image of the first variant that has one, in a box of fixed proportions (no shift when it loads). */
function picture(item) {
  const image = item.skus.flatMap((sku) => sku.images)[0];
  return h('div', { class: 'product-picture product-picture-large' },
    image ? h('img', { src: image.url, alt: image.alt ?? item.title, width: '600', height: '450', loading: 'eager' }) : h('span', { 'aria-hidden': 'true' }, item.title.slice(0, 1)));
}

function attributes(values) {
  const entries = Object.entries(values ?? {});
  if (entries.length === 0) return null;
  return h('dl', { class: 'attributes' }, entries.map(([name, value]) => [h('dt', null, capitalise(name)), h('dd', null, String(value))]));
}
