// The one way pages talk to the gateway: attaches the customer's bearer token, turns RFC 7807
// problems into ApiError, and keeps the tokens (a guest's, or a signed-in account's with its
// refresh token) in localStorage so a reload or another tab is the same customer.

const TOKENS_KEY = 'commerce.tokens';
const listeners = new Set();

/** A refused request: status, and the problem the gateway answered (title, detail, code, errors by field). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem ?? {};
  }

  /** The messages for one field of a validation problem (e.g. "email"), or []. */
  field(name) {
    const errors = this.problem.errors ?? {};
    const key = Object.keys(errors).find((k) => k.toLowerCase() === name.toLowerCase());
    return key ? errors[key] : [];
  }
}

/** { kind: 'guest' | 'account', accessToken, refreshToken?, expiresAt, email? } or null. */
export function session() {
  try {
    return JSON.parse(localStorage.getItem(TOKENS_KEY));
  } catch {
    return null;
  }
}

export const signedIn = () => session()?.kind === 'account';

function keep(tokens) {
  if (tokens) localStorage.setItem(TOKENS_KEY, JSON.stringify(tokens));
  else localStorage.removeItem(TOKENS_KEY);
  for (const listener of listeners) listener(tokens);
}

/** Calls back when this tab signs in or out, or another tab does. */
export function onSessionChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

addEventListener('storage', (event) => {
  if (event.key === TOKENS_KEY) for (const listener of listeners) listener(session());
});

function tokensFrom(answer, kind, extra) {
  return { kind, accessToken: answer.accessToken, refreshToken: answer.refreshToken ?? null, expiresAt: Date.now() + answer.expiresIn * 1000, ...extra };
}

let pendingToken = null;

/** The bearer token to send: the account's (refreshed when near expiry), else a guest's, made on first use. */
export async function accessToken() {
  const current = session();
  if (current && current.expiresAt - 30_000 > Date.now()) return current.accessToken;
  pendingToken ??= (async () => {
    try {
      if (current?.kind === 'account' && current.refreshToken) {
        try {
          const { data: answer } = await send('POST', '/api/v1/accounts/refresh', { refreshToken: current.refreshToken }, null);
          keep(tokensFrom(answer, 'account', { email: current.email }));
          return session().accessToken;
        } catch (error) {
          if (!(error instanceof ApiError) || error.status !== 401) throw error;
          // The session ended (signed out elsewhere, expired): carry on as a new guest.
        }
      }
      keep(tokensFrom((await send('POST', '/api/v1/customers/anonymous', null, null)).data, 'guest'));
      return session().accessToken;
    } finally {
      pendingToken = null;
    }
  })();
  return pendingToken;
}

async function send(method, path, body, token, headers = {}) {
  const response = await fetch(path, {
    method,
    headers: {
      Accept: 'application/json',
      ...(body != null ? { 'Content-Type': 'application/json' } : {}),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body != null ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return { status: response.status, data };
}

/**
 * api('GET', '/api/v1/cart') → the parsed JSON answer, or throws ApiError.
 * options.auth: false for public reads (no token is made for them); options.headers: extra headers;
 * options.withStatus: resolve to { status, data } instead (to tell 200 from 202).
 */
export async function api(method, path, body = null, options = {}) {
  const token = options.auth === false ? null : await accessToken();
  try {
    const answer = await send(method, path, body, token, options.headers);
    return options.withStatus ? answer : answer.data;
  } catch (error) {
    // A token the gateway no longer takes (the session was signed out on another device): forget it, so the
    // header shows "Sign in" and the next request starts as a guest.
    if (error instanceof ApiError && error.status === 401 && token && session()?.accessToken === token) keep(null);
    throw error;
  }
}

/** A public read: no token. */
export const read = (path) => api('GET', path, null, { auth: false });

/** Signs in; the guest token goes along so the gateway merges the guest's cart into the account's. */
export async function signIn(email, password) {
  const guest = session()?.kind === 'guest' ? session().accessToken : null;
  const { data: answer } = await send('POST', '/api/v1/accounts/login', { email, password }, guest);
  keep(tokensFrom(answer, 'account', { email }));
}

export async function register(email, password) {
  await send('POST', '/api/v1/accounts', { email, password }, null);
  await signIn(email, password);
}

/** Ends the session on the server (its tokens stop working) and forgets it here. */
export async function signOut() {
  const current = session();
  if (current?.kind === 'account') {
    try {
      await send('POST', '/api/v1/accounts/logout', null, current.accessToken);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error; // an expired token: the session is over anyway
    }
  }
  keep(null);
}
