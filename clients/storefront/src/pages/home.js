// Home: the category tree, each root with its children, as the way into the shop.
import { read } from '../api.js';
import { h, replace } from '../dom.js';

export default async function home(main) {
  document.title = 'Commerce';
  const tree = await read('/api/v1/catalog/categories');
  replace(main,
    h('section', { class: 'hero' },
      h('h1', null, 'Welcome to Commerce'),
      h('p', null, 'Browse the categories or search the whole catalog.')),
    h('h2', null, 'Shop by category'),
    tree.length === 0
      ? h('p', null, 'The catalog is empty.')
      : h('ul', { class: 'category-grid' }, tree.map((root) => h('li', { class: 'category-card' },
        h('a', { href: `/category/${encodeURIComponent(root.categoryId)}`, class: 'category-card-title' }, root.name),
        root.children.length > 0 && h('ul', { class: 'category-children' }, root.children.map((child) =>
          h('li', null, h('a', { href: `/category/${encodeURIComponent(child.categoryId)}` }, child.name))))))));
}
