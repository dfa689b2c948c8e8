// The signed-in account: who, a way to the orders, and sign out (ends the session on the server).
import { api, signedIn, signOut } from '../api.js';
import { h, replace } from '../dom.js';
import { navigate } from '../router.js';

export default async function account(main) {
  document.title = 'Account — Commerce';
  if (!signedIn()) {
    navigate('/sign-in?next=/account', { replace: true });
    return;
  }
  const me = await api('GET', '/api/v1/accounts/me');
  replace(main,
    h('h1', null, 'Your account'),
    h('div', { class: 'card' },
      h('p', null, 'Signed in as ', h('strong', { id: 'account-email' }, me.email)),
      h('p', null, h('a', { href: '/orders' }, 'Your orders')),
      h('button', { type: 'button', id: 'sign-out', class: 'secondary', onclick: async () => {
        await signOut();
        navigate('/', { replace: true });
      } }, 'Sign out')));
}
