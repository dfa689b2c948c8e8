// Search results for the words in ?q=, with facets; a misspelt search shows what it searched instead.
import { h, replace } from '../dom.js';
import { renderListing } from '../listing.js';

export default async function search(main, _params, query) {
  const q = (query.get('q') ?? '').trim();
  document.getElementById('search-input').value = q;
  if (!q) {
    document.title = 'Search — Commerce';
    replace(main, h('h1', null, 'Search'), h('p', null, 'Type what you are looking for in the search box above.'));
    return;
  }
  document.title = `${q} — Search — Commerce`;
  await renderListing(main, {
    fixed: new URLSearchParams({ q }),
    query,
    header: (results) => h('header', { class: 'page-header' },
      h('h1', null, 'Results for “', q, '”'),
      results.didYouMean && h('p', { class: 'did-you-mean', role: 'status' },
        'No products match “', q, '”. Showing results for ',
        h('a', { href: `/search?q=${encodeURIComponent(results.didYouMean)}` }, h('strong', null, results.didYouMean)), ' instead.')),
  });
}
