// A category: its breadcrumbs, its subcategories, and its products (and its subtree's) with facets and sorting.
import { read } from '../api.js';
import { h } from '../dom.js';
import { renderListing } from '../listing.js';

export default async function category(main, { id }, query) {
  const [node, tree] = await Promise.all([read(`/api/v1/catalog/categories/${encodeURIComponent(id)}`), read('/api/v1/catalog/categories')]);
  document.title = `${node.name} — Commerce`;
  const children = findNode(tree, id)?.children ?? [];
  await renderListing(main, {
    fixed: new URLSearchParams({ category: id }),
    query,
    sorts: ['newest', 'price-asc', 'price-desc'],
    header: () => h('header', { class: 'page-header' },
      breadcrumbs(node.breadcrumbs),
      h('h1', null, node.name),
      children.length > 0 && h('ul', { class: 'chips', 'aria-label': 'Subcategories' },
        children.map((child) => h('li', null, h('a', { class: 'chip', href: `/category/${encodeURIComponent(child.categoryId)}` }, child.name))))),
  });
}

function findNode(nodes, id) {
  for (const node of nodes) {
    if (node.categoryId === id) return node;
    const found = findNode(node.children, id);
    if (found) return found;
  }
  return null;
}

/** Home › Apparel › Shirts: every step a link but the last, the current page. */
export function breadcrumbs(steps) {
  return h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumb' },
    h('ol', null,
      h('li', null, h('a', { href: '/' }, 'Home')),
      steps.map((step, i) => h('li', null, i === steps.length - 1
        ? h('span', { 'aria-current': 'page' }, step.name)
        : h('a', { href: `/category/${encodeURIComponent(step.categoryId)}` }, step.name)))));
}
