// Sign in; the guest's cart moves into the account's (the gateway merges it).
import { signIn } from '../api.js';
import { h, replace } from '../dom.js';
import { field, showProblem } from '../forms.js';
import { navigate } from '../router.js';

export default function signInPage(main, _params, query) {
  document.title = 'Sign in — Commerce';
  const next = safeNext(query.get('next'));
  const status = h('div');
  const form = h('form', { class: 'form card', novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    try {
      await signIn(String(data.get('email')), String(data.get('password')));
      navigate(next, { replace: true });
    } catch (error) {
      showProblem(form, status, error);
    }
  } },
  status,
  field('Email', 'email', { type: 'email', autocomplete: 'email', required: true }),
  field('Password', 'password', { type: 'password', autocomplete: 'current-password', required: true }),
  h('button', { type: 'submit' }, 'Sign in'));
  replace(main, h('h1', null, 'Sign in'), form,
    h('p', null, 'New here? ', h('a', { href: `/register${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}` }, 'Create an account')));
}

/** Only a path of this site: never a link elsewhere dressed as one. */
export function safeNext(next) {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}
