// The header on every page: search with suggestions while typing, the account link and the cart badge.
import { read, session, signedIn, onSessionChange } from './api.js';
import { h, replace } from './dom.js';
import { navigate } from './router.js';
import * as cart from './cart.js';

export function startHeader() {
  startSearch();
  showAccount();
  onSessionChange(showAccount);
  cart.subscribe(showCount);
  // Only a shopper who already has a token has a cart worth counting; browsing makes none.
  if (session()) cart.load().catch(() => {});
}

function showAccount() {
  const link = document.getElementById('nav-account');
  link.textContent = signedIn() ? 'Account' : 'Sign in';
  link.setAttribute('href', signedIn() ? '/account' : '/sign-in');
  document.getElementById('nav-orders').hidden = !signedIn();
}

function showCount(current) {
  const count = current ? current.lines.reduce((sum, line) => sum + line.quantity, 0) : 0;
  const badge = document.getElementById('cart-count');
  badge.textContent = String(count);
  document.getElementById('nav-cart').setAttribute('aria-label', `Cart, ${count} item${count === 1 ? '' : 's'}`);
}

/** Suggestions as the shopper types (titles, brands, categories), a listbox driven by arrow keys. */
function startSearch() {
  const form = document.getElementById('search-form');
  const input = document.getElementById('search-input');
  const list = document.getElementById('search-suggestions');
  let asked = 0;
  let timer = 0;
  let active = -1;

  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  };
  const options = () => [...list.querySelectorAll('[role=option]')];
  const highlight = (index) => {
    const all = options();
    active = (index + all.length) % all.length;
    all.forEach((option, i) => option.setAttribute('aria-selected', String(i === active)));
    input.setAttribute('aria-activedescendant', all[active].id);
  };
  const choose = (suggestion) => {
    close();
    if (suggestion.kind === 'Category' && suggestion.categoryId) navigate(`/category/${encodeURIComponent(suggestion.categoryId)}`);
    else {
      input.value = suggestion.text;
      navigate(`/search?q=${encodeURIComponent(suggestion.text)}`);
    }
  };

  input.addEventListener('input', () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (!q) return close();
    timer = setTimeout(async () => {
      const ticket = ++asked;
      let suggestions;
      try {
        suggestions = await read(`/api/v1/search/suggest?q=${encodeURIComponent(q)}&limit=8`);
      } catch {
        return;
      }
      if (ticket !== asked) return;
      if (!suggestions.length) return close();
      replace(list, suggestions.map((s, i) => h('li', {
        id: `suggestion-${i}`, role: 'option', 'aria-selected': 'false', class: 'suggestion',
        onmousedown: (event) => { event.preventDefault(); choose(s); },
      }, h('span', null, s.text), h('span', { class: 'suggestion-kind' }, s.kind))));
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
      active = -1;
    }, 150);
  });
  input.addEventListener('keydown', (event) => {
    if (list.hidden) return;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      highlight(active + (event.key === 'ArrowDown' ? 1 : -1));
    } else if (event.key === 'Enter' && active >= 0) {
      event.preventDefault();
      options()[active].dispatchEvent(new MouseEvent('mousedown'));
    } else if (event.key === 'Escape') close();
  });
  input.addEventListener('blur', close);
  // The box shows the words of the search page only; elsewhere it starts empty.
  addEventListener('pagechange', () => {
    if (location.pathname !== '/search') input.value = '';
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = input.value.trim();
    close();
    if (q) navigate(`/search?q=${encodeURIComponent(q)}`);
  });
}
