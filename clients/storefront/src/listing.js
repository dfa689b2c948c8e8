// A page of products with facets and sorting, from GET /api/v1/search: the search page (with the
// shopper's words) and a category page (without words, filtered by the category) both show this.
// Every filter, the sort and the page live in the URL, so a result can be linked, reloaded and
// walked back through.
import { read } from './api.js';
import { h, money, replace } from './dom.js';
import { navigate } from './router.js';

const SORTS = [
  ['relevance', 'Best match'],
  ['price-asc', 'Price: low to high'],
  ['price-desc', 'Price: high to low'],
  ['newest', 'Newest'],
];

const FILTERS = ['brand', 'price', 'attribute', 'inStock', 'category'];
const PAGE_SIZE = 12;

/**
 * Renders results into container. fixed: the search parameters the page always sends (q, or the
 * category); query: the URL's parameters (filters, sort, page); sorts: which sorts to offer.
 */
export async function renderListing(container, { fixed, query, sorts = SORTS.map(([value]) => value), defaultSort = sorts[0], header }) {
  const params = new URLSearchParams(fixed);
  for (const name of FILTERS) for (const value of query.getAll(name)) if (!fixed.has(name)) params.append(name, value);
  const sort = sorts.includes(query.get('sort')) ? query.get('sort') : defaultSort;
  const page = Math.max(1, Number.parseInt(query.get('page') ?? '1', 10) || 1);
  params.set('sort', sort);
  params.set('page', String(page));
  params.set('limit', String(PAGE_SIZE));
  const results = await read(`/api/v1/search?${params}`);

  const go = (change) => {
    const next = new URLSearchParams(location.search);
    change(next);
    navigate(`${location.pathname}?${next}`);
  };
  const toggle = (name, value, on) => go((next) => {
    const values = next.getAll(name).filter((v) => v !== value);
    next.delete(name);
    for (const v of on ? [...values, value] : values) next.append(name, v);
    next.delete('page');
  });

  replace(container,
    header(results),
    h('div', { class: 'listing' },
      facets(results.facets, query, toggle, fixed.has('category')),
      h('section', { class: 'results', 'aria-label': 'Products' },
        h('div', { class: 'results-bar' },
          h('p', { class: 'results-count', role: 'status' }, `${results.total} product${results.total === 1 ? '' : 's'}`),
          h('label', { class: 'sort' }, 'Sort by ',
            h('select', { id: 'sort', onchange: (event) => go((next) => { next.set('sort', event.target.value); next.delete('page'); }) },
              SORTS.filter(([value]) => sorts.includes(value)).map(([value, label]) => h('option', { value, selected: value === sort }, label))))),
        results.hits.length === 0
          ? h('p', { class: 'empty' }, 'No products match. Try fewer filters.')
          : h('ul', { class: 'product-grid' }, results.hits.map(card)),
        pager(results, page, (n) => go((next) => next.set('page', String(n)))))));
}

// On a phone the filters fold away behind one line, so the products come first; on a wide screen they stay open
// (and have no line to unfold them by), also when a window is resized across the width.
const wide = matchMedia('(min-width: 901px)');
wide.addEventListener('change', () => document.querySelectorAll('details.facets').forEach((details) => { details.open = wide.matches; }));

function facets(all, query, toggle, inCategory) {
  const groups = [
    !inCategory && ['category', 'Category', all.categories],
    ['brand', 'Brand', all.brands],
    ['price', 'Price', all.prices],
    ['inStock', 'Availability', all.inStock],
    ...all.attributes.map((attribute) => ['attribute', capitalise(attribute.name), attribute.values.map((v) => ({ ...v, value: `${attribute.name}:${v.value}` }))]),
  ].filter((group) => group && group[2].length > 0);
  const selected = FILTERS.reduce((sum, name) => sum + query.getAll(name).length, 0);
  return h('details', { class: 'facets', open: wide.matches },
    h('summary', null, selected ? `Filters (${selected} chosen)` : 'Filters'),
    groups.map(([name, legend, values]) => h('fieldset', { class: 'facet' },
      h('legend', null, legend),
      values.map((value) => {
        const checked = query.getAll(name).includes(value.value);
        return h('label', { class: 'facet-value' },
          h('input', { type: 'checkbox', name, value: value.value, checked, onchange: (event) => toggle(name, value.value, event.target.checked) }),
          h('span', null, value.label), h('span', { class: 'facet-count' }, String(value.count)));
      }))));
}

/** A product tile. Its picture box has a fixed aspect ratio, so nothing moves when pictures load. */
export function card(hit) {
  const price = hit.minPrice && hit.maxPrice && hit.minPrice.amount !== hit.maxPrice.amount
    ? `from ${money(hit.minPrice)}` : money(hit.minPrice);
  return h('li', { class: 'product-card' },
    h('a', { href: `/product/${encodeURIComponent(hit.productId)}`, class: 'product-link' },
      h('div', { class: 'product-picture', 'aria-hidden': 'true' }, hit.title.slice(0, 1)),
      h('span', { class: 'product-title' }, hit.title)),
    h('p', { class: 'product-brand' }, hit.brand ?? ''),
    h('p', { class: 'product-price' }, price || 'Not for sale'),
    h('p', { class: hit.inStock ? 'stock stock-in' : 'stock stock-out' }, hit.inStock ? 'In stock' : 'Out of stock'));
}

function pager(results, page, go) {
  const pages = Math.ceil(results.total / results.limit);
  if (pages <= 1) return null;
  return h('nav', { class: 'pager', 'aria-label': 'Pages' },
    h('button', { type: 'button', class: 'secondary', disabled: page <= 1, onclick: () => go(page - 1) }, 'Previous'),
    h('span', null, `Page ${page} of ${pages}`),
    h('button', { type: 'button', class: 'secondary', disabled: page >= pages, onclick: () => go(page + 1) }, 'Next'));
}

export const capitalise = (text) => text.charAt(0).toUpperCase() + text.slice(1);
