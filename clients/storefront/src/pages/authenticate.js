// The built-in test gateway's bank: stands in for the card issuer's 3-D Secure page, as Stripe's test
// mode does. The charge and its client secret come in the address the gateway gave the checkout; the
// secret is the credential (no sign-in). Once answered, back to where the shopper came from (the
// checkout, which asks the gateway about its saved order again).
import { api, ApiError } from '../api.js';
import { h, replace, notice, describe } from '../dom.js';
import { navigate } from '../router.js';

/** Only a path on this site: the return address comes in the URL, so it must not lead elsewhere. */
const local = (path) => (path && path.startsWith('/') && !path.startsWith('//') && !path.startsWith('/\\') ? path : '/');

export default function authenticate(main, _params, query) {
  document.title = 'Test bank — 3-D Secure — Commerce';
  const charge = query.get('charge');
  const secret = query.get('secret');
  const back = local(query.get('return'));
  const status = h('div', { id: 'authentication-status' });
  const heading = h('h1', { id: 'bank-title' }, 'Test bank — 3-D Secure');
  if (!charge || !secret) {
    replace(main, heading, notice('This authentication link is incomplete: go back to the checkout and place the order again.', 'error'),
      h('p', null, h('a', { href: back }, 'Back')));
    return;
  }
  const answer = async (outcome) => {
    for (const button of buttons) button.disabled = true;
    replace(status, notice(outcome === 'succeed' ? 'Completing authentication…' : 'Failing authentication…'));
    try {
      await api('POST', `/api/v1/payments/test-authentications/${encodeURIComponent(charge)}`, { clientSecret: secret, outcome }, { auth: false });
      // Replaced, so that Back from the checkout does not bring the shopper to this page again.
      navigate(back, { replace: true });
    } catch (error) {
      // An answer (no such challenge, answered already) is final; a network failure may be retried.
      const final = error instanceof ApiError;
      const message = !final ? `${describe(error)} — try again.`
        : error.status === 404 ? 'No payment waits for authentication at this address.' : describe(error);
      replace(status, notice(message, 'error'), final ? h('p', null, h('a', { href: back }, 'Back')) : null);
      if (!final) for (const button of buttons) button.disabled = false;
    }
  };
  const buttons = [
    h('button', { type: 'button', id: 'complete-authentication', onclick: () => answer('succeed') }, 'Complete authentication'),
    h('button', { type: 'button', id: 'fail-authentication', class: 'secondary', onclick: () => answer('fail') }, 'Fail authentication'),
  ];
  replace(main,
    h('section', { class: 'card bank', 'aria-labelledby': 'bank-title' },
      heading,
      h('p', null, 'Your card\u2019s bank asks you to confirm this payment. This is the test gateway\u2019s stand-in for that check: no real bank is asked and no real money moves.'),
      status,
      h('div', { class: 'line-actions' }, buttons)));
}
