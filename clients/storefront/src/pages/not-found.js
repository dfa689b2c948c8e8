import { h, replace } from '../dom.js';

export default function notFound(main) {
  document.title = 'Not found — Commerce';
  replace(main, h('h1', null, 'Page not found'), h('p', null, h('a', { href: '/' }, 'Back to the shop')));
}
