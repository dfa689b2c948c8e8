// Create an account, then sign in with it (the guest cart comes along).
import { register } from '../api.js';
import { h, replace } from '../dom.js';
import { field, showProblem } from '../forms.js';
import { navigate } from '../router.js';
import { safeNext } from './sign-in.js';

export default function registerPage(main, _params, query) {
  document.title = 'Create an account — Commerce';
  const next = safeNext(query.get('next'));
  const status = h('div');
  const form = h('form', { class: 'form card', novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    try {
      await register(String(data.get('email')), String(data.get('password')));
      navigate(next, { replace: true });
    } catch (error) {
      showProblem(form, status, error);
    }
  } },
  status,
  field('Email', 'email', { type: 'email', autocomplete: 'email', required: true }),
  field('Password (at least 8 characters)', 'password', { type: 'password', autocomplete: 'new-password', required: true }),
  h('button', { type: 'submit' }, 'Create account'));
  replace(main, h('h1', null, 'Create an account'), form,
    h('p', null, 'Have an account? ', h('a', { href: `/sign-in${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}` }, 'Sign in')));
}
