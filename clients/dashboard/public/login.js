// Operator sign-in: the one file that knows how an operator proves who they are — an operator
// account (email and password; created by `commerce operator create`, and by deploy/run the first
// time, which prints the credentials once) signs in at the accounts endpoint for a bearer token.
// Orleans' own dashboard is static pages that cannot send that token, so before opening it the
// page asks the gateway to put the token in an HttpOnly cookie sent only to /orleans-dashboard.

const tokenKey = 'commerce.dashboard.token';

export function storedToken() {
  return sessionStorage.getItem(tokenKey);
}

export function forgetToken() {
  sessionStorage.removeItem(tokenKey);
}

const orleansSession = '/api/v1/dashboard/orleans-session';

/** Lets this browser open Orleans' dashboard with the operator's token (an HttpOnly cookie for /orleans-dashboard). */
export async function openOrleansSession(token) {
  const response = await fetch(orleansSession, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
  if (!response.ok) {
    throw new Error(`Orleans dashboard refused (${response.status}).`);
  }
}

/** Signing out: the cookie for Orleans' dashboard goes too. */
export async function closeOrleansSession(token) {
  await fetch(orleansSession, { method: 'DELETE', headers: { Authorization: `Bearer ${token}` } }).catch(() => {});
}

/** Shows the sign-in form in `container`; resolves with a bearer token once the operator is signed in. */
export function signIn(container) {
  container.innerHTML = `
    <form id="sign-in-form">
      <h2>Operator sign-in</h2>
      <label>Email
        <input id="operator-email" name="email" type="email" autocomplete="username" required>
      </label>
      <label>Password
        <input id="operator-password" name="password" type="password" autocomplete="current-password" required>
      </label>
      <p class="hint">deploy/run creates an operator account the first time and prints it once (kept in .data/operator-account).</p>
      <button type="submit">Sign in</button>
      <p id="sign-in-error" class="error" role="alert"></p>
    </form>`;
  container.hidden = false;
  const form = container.querySelector('form');
  const error = container.querySelector('#sign-in-error');
  return new Promise(resolve => {
    form.addEventListener('submit', async event => {
      event.preventDefault();
      error.textContent = '';
      const response = await fetch('/api/v1/accounts/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: form.email.value, password: form.password.value }),
      });
      if (!response.ok) {
        const problem = await response.json().catch(() => ({}));
        error.textContent = problem.detail || problem.title || `Sign-in failed (${response.status}).`;
        return;
      }
      const { accessToken } = await response.json();
      // A customer account signs in too, but the dashboard's data is for operators only.
      const probe = await fetch('/api/v1/dashboard/history', { headers: { Authorization: `Bearer ${accessToken}` } });
      if (probe.status === 403) {
        error.textContent = 'This account is not an operator.';
        return;
      }
      sessionStorage.setItem(tokenKey, accessToken);
      container.hidden = true;
      container.innerHTML = '';
      resolve(accessToken);
    });
  });
}
