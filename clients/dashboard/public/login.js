// Operator sign-in: the one file that knows how an operator proves who they are. Today an operator
// exchanges the bootstrap key for a bearer token; switching to accounts (email and password) means
// changing the form and the request below, nothing else.

const tokenKey = 'commerce.dashboard.token';

export function storedToken() {
  return sessionStorage.getItem(tokenKey);
}

export function forgetToken() {
  sessionStorage.removeItem(tokenKey);
}

/** Shows the sign-in form in `container`; resolves with a bearer token once the operator is signed in. */
export function signIn(container) {
  container.innerHTML = `
    <form id="sign-in-form">
      <h2>Operator sign-in</h2>
      <label>Operator key
        <input id="operator-key" name="key" type="password" autocomplete="current-password" required>
      </label>
      <p class="hint">deploy/run prints the key once and keeps it in .data/operator-key.</p>
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
      const response = await fetch('/api/v1/operators/token', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ key: form.key.value }),
      });
      if (!response.ok) {
        const problem = await response.json().catch(() => ({}));
        error.textContent = problem.detail || problem.title || `Sign-in failed (${response.status}).`;
        return;
      }
      const { accessToken } = await response.json();
      sessionStorage.setItem(tokenKey, accessToken);
      container.hidden = true;
      container.innerHTML = '';
      resolve(accessToken);
    });
  });
}
