// The customer's cart, shared by the header badge and the cart and checkout pages: every change
// the gateway answers, and every push from the cart hub (another tab or device), goes through
// here; the newest version wins.
import { api, session, onSessionChange, accessToken } from './api.js';

let cart = null;
const listeners = new Set();
let connection = null;

/** The cart as last seen, or null before the first read. */
export const current = () => cart;

/** Calls back with every newer cart; returns the unsubscribe. */
export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function take(next) {
  if (!next || (cart && cart.cartId === next.cartId && next.version < cart.version)) return cart;
  cart = next;
  for (const listener of listeners) listener(cart);
  return cart;
}

/** Reads the cart (making a guest token if the shopper has none yet) and follows it live. */
export async function load() {
  const answer = take(await api('GET', '/api/v1/cart'));
  follow();
  return answer;
}

/** Applies a cart change: change(path, body) → the cart the gateway answers. */
export async function change(method, path, body = null) {
  const answer = take(await api(method, `/api/v1/cart${path}`, body));
  follow();
  return answer;
}

/**
 * The cart hub: pushes the whole cart after every committed change by any device. SignalR's
 * client is loaded only once there is a cart to follow, so the first page stays light.
 */
async function follow() {
  if (connection || !session()) return;
  const { HubConnectionBuilder } = await import('@microsoft/signalr');
  if (connection) return;
  connection = new HubConnectionBuilder()
    .withUrl('/hubs/cart', { accessTokenFactory: () => accessToken() })
    .withAutomaticReconnect()
    .build();
  connection.on('CartChanged', take);
  // After a reconnect pushes may have been missed: Follow answers the cart as it is now.
  connection.onreconnected(() => connection.invoke('Follow').then(take, () => {}));
  try {
    await connection.start();
    take(await connection.invoke('Follow'));
  } catch (error) {
    console.warn('cart hub unavailable; the cart updates on page loads', error);
  }
}

/** A new customer (sign in, sign out): drop the old cart and its hub connection, read the new one. */
onSessionChange(async (tokens) => {
  const old = connection;
  connection = null;
  cart = null;
  await old?.stop();
  if (tokens) await load().catch(() => {});
  else for (const listener of listeners) listener(null);
});
