// The operator dashboard: signs in (login.js), then asks GET /api/v1/dashboard every second and
// draws what it says. Chart points come from the server, which samples once a second and keeps the
// last 100, so a page that opens draws full charts at once.

import { signIn, storedToken, forgetToken, openOrleansSession, closeOrleansSession } from './login.js';
import { LiveChart } from './charts.js';

const refreshEvery = 1000;
const pointsKept = 100;
const $ = id => document.getElementById(id);

let token = null;
let points = [];
let latest = null;

const charts = {
  calls: new LiveChart($('chart-calls'), ps => keysOf(ps, p => p.callsPerSecondByGrainType)
    .map(type => ({ label: type, values: ps.map(p => p.callsPerSecondByGrainType[type] ?? null) }))),
  cluster: new LiveChart($('chart-cluster'), ps => [
    { label: 'calls/s', values: ps.map(p => p.callsPerSecond) },
    { label: 'failures/s', values: ps.map(p => p.failuresPerSecond) },
  ]),
  storage: new LiveChart($('chart-storage'), ps => [
    { label: 'reads/s', values: ps.map(p => p.storageReadsPerSecond) },
    { label: 'writes/s', values: ps.map(p => p.storageWritesPerSecond) },
  ]),
  sellThrough: new LiveChart($('chart-sell-through'), ps => (latest?.commerce.flashSales ?? [])
    .map(sale => ({ label: sale.saleId, values: ps.map(p => p.unitsSoldBySale[sale.saleId] === undefined ? null : 100 * p.unitsSoldBySale[sale.saleId] / sale.units) }))),
};

function keysOf(ps, pick) {
  const keys = new Set();
  ps.forEach(p => Object.keys(pick(p)).forEach(k => keys.add(k)));
  return [...keys].sort();
}

async function get(path) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${token}` } });
  if (response.status === 401 || response.status === 403) {
    throw new SignedOut(response.status === 403 ? 'This account is not an operator.' : 'Please sign in again.');
  }
  if (!response.ok) {
    throw new Error(`${path} answered ${response.status}`);
  }
  return response.json();
}

class SignedOut extends Error {}

async function start() {
  token = storedToken() ?? await signIn($('sign-in'));
  $('sign-out').hidden = false;
  $('orleans-dashboard').hidden = false;
  $('dashboard').hidden = false;
  try {
    points = (await get('/api/v1/dashboard/history')).points;
  } catch (e) {
    return stop(e);
  }
  poll();
}

async function poll() {
  try {
    const view = await get('/api/v1/dashboard');
    latest = view;
    if (!points.length || points[points.length - 1].at !== view.point.at) {
      points.push(view.point);
      points = points.slice(-pointsKept);
    }
    render(view);
    $('status').textContent = `served by ${view.servedBy ?? 'a gateway (cluster client)'} · ${new Date(view.takenAt).toLocaleTimeString()}`;
    $('status').classList.remove('stale');
  } catch (e) {
    if (e instanceof SignedOut) {
      return stop(e);
    }
    $('status').textContent = `no answer: ${e.message}`;
    $('status').classList.add('stale');
  }
  setTimeout(poll, refreshEvery);
}

function stop(e) {
  forgetToken();
  $('dashboard').hidden = true;
  $('sign-out').hidden = true;
  $('orleans-dashboard').hidden = true;
  $('status').textContent = e.message;
  start();
}

$('sign-out').addEventListener('click', async () => {
  await closeOrleansSession(token);
  forgetToken();
  location.reload();
});

// The link first sets the cookie that Orleans' dashboard is read with, then opens it in a new tab
// (opened at once, while the click still counts as the user's, so no popup blocker stops it).
$('orleans-dashboard').addEventListener('click', async event => {
  event.preventDefault();
  const target = event.currentTarget.href;
  const tab = window.open('', '_blank');
  try {
    await openOrleansSession(token);
    if (tab) tab.location.href = target; else location.assign(target);
  } catch (e) {
    tab?.close();
    $('status').textContent = e.message;
    $('status').classList.add('stale');
  }
});

// ---- Rendering --------------------------------------------------------------------------------

const number = (value, digits = 0) => value === null || value === undefined ? '—'
  : Number(value).toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ms = value => value === null || value === undefined ? '—' : `${number(value, value < 10 ? 2 : 1)} ms`;
// Latencies cover the last sample's interval: none without calls in it.
const latency = (perSecond, value) => perSecond > 0 ? ms(value) : '—';
const mib = bytes => bytes === null || bytes === undefined ? '—' : `${number(bytes / 1048576, 0)} MiB`;
const time = at => at ? new Date(at).toLocaleTimeString() : '—';
const escape = text => String(text ?? '').replace(/[&<>"]/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

function duration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60);
  return h ? `${h}h ${String(m).padStart(2, '0')}m` : m ? `${m}m ${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** Fills a table: columns are [heading, row => html, className?]. */
function table(id, columns, rows, empty = 'nothing yet') {
  const head = `<tr>${columns.map(([heading, , cls]) => `<th class="${cls ?? ''}">${heading}</th>`).join('')}</tr>`;
  const body = rows.length
    ? rows.map(row => `<tr>${columns.map(([, cell, cls]) => `<td class="${cls ?? ''}">${cell(row)}</td>`).join('')}</tr>`).join('')
    : `<tr><td class="empty" colspan="${columns.length}">${empty}</td></tr>`;
  $(id).innerHTML = `<thead>${head}</thead><tbody>${body}</tbody>`;
}

function facts(id, rows) {
  $(id).innerHTML = rows.map(([label, value]) => `<tr><th>${label}</th><td class="num">${value}</td></tr>`).join('');
}

function placeholder(id, text) {
  $(id).innerHTML = `<tbody><tr><td class="placeholder">${text}</td></tr></tbody>`;
}

function render(view) {
  const { cluster, grainTypes, methods, storage, reminders, commerce } = view;
  const live = cluster.silos.filter(s => s.reachable);
  $('totals').innerHTML = [
    ['silos', `${live.length} / ${cluster.silos.length}`],
    ['activations', number(view.point.activations)],
    ['calls/s', number(view.point.callsPerSecond, 1)],
    ['failures/s', number(view.point.failuresPerSecond, 1)],
    ['flash sales live', number(commerce.flashSales.filter(s => s.phase === 'Live').length)],
    ['recent errors', number(view.recentErrors.length)],
  ].map(([label, value]) => `<div class="card"><div class="value">${value}</div><div class="label">${label}</div></div>`).join('');

  for (const chart of Object.values(charts)) chart.update(points);

  table('silos', [
    ['silo', s => `<code>${escape(s.siloId)}</code> <span class="muted">${escape(s.name)}</span>`],
    ['address', s => escape(s.address)],
    ['status', s => `<span class="badge ${s.reachable ? s.status : s.status === 'Active' ? 'Unreachable' : s.status}">${escape(s.status)}${s.reachable || s.status !== 'Active' ? '' : ' · unreachable'}</span>${s.problem ? ` <span class="muted">${escape(s.problem)}</span>` : ''}`],
    ['generation', s => time(s.generation)],
    ['uptime', s => duration(s.uptimeSeconds), 'num'],
    ['CPU (all cores)', s => s.cpuPercent === null ? '—' : `${number(s.cpuPercent, 0)}%`, 'num'],
    ['managed memory', s => mib(s.memoryBytes), 'num'],
    ['activations', s => number(s.activations), 'num'],
    ['clients', s => number(s.clients), 'num'],
    ['calls/s', s => number(s.callsPerSecond, 1), 'num'],
  ], cluster.silos);
  table('membership', [
    ['time', c => time(c.at)],
    ['silo', c => `<code>${escape(c.siloId)}</code>`],
    ['change', c => `${escape(c.from ?? 'new')} → ${escape(c.to)}`],
  ], cluster.recentChanges, 'no change since this page opened');

  table('grain-types', [
    ['grain type', t => `<strong>${escape(t.grainType)}</strong>`],
    ['activations', t => number(t.activations), 'num'],
    ['calls/s', t => number(t.callsPerSecond, 1), 'num'],
    ['failures/s', t => number(t.failuresPerSecond, 1), 'num'],
    ['calls', t => number(t.calls), 'num'],
    ['mean', t => latency(t.callsPerSecond, t.meanMs), 'num'],
    ['p99', t => latency(t.callsPerSecond, t.p99Ms), 'num'],
    ['per silo (activations · calls/s)', t => t.perSilo.map(s => `<span class="share"><code>${escape(s.siloId)}</code> ${number(s.activations)} · ${number(s.callsPerSecond, 1)}</span>`).join(' ')],
  ], grainTypes, 'no grain activity yet');

  const methodColumns = value => [
    ['method', m => `<span class="muted">${escape(m.grainType)}</span> ${escape(m.method.split('.').pop())}`],
    ...value,
  ];
  table('methods-by-calls', methodColumns([['calls/s', m => number(m.callsPerSecond, 1), 'num'], ['calls', m => number(m.calls), 'num']]),
    [...methods].sort((a, b) => b.callsPerSecond - a.callsPerSecond || b.calls - a.calls).slice(0, 8));
  table('methods-by-latency', methodColumns([['mean', m => ms(m.meanMs), 'num'], ['p99', m => ms(m.p99Ms), 'num']]),
    methods.filter(m => m.callsPerSecond > 0).sort((a, b) => b.p99Ms - a.p99Ms).slice(0, 8), 'no calls in the last second');
  table('methods-by-errors', methodColumns([['failures/s', m => number(m.failuresPerSecond, 1), 'num'], ['failures', m => number(m.failures), 'num']]),
    methods.filter(m => m.failures > 0).sort((a, b) => b.failuresPerSecond - a.failuresPerSecond || b.failures - a.failures).slice(0, 8), 'no failed calls');

  facts('storage', [
    ['reads/s', number(storage.readsPerSecond, 1)],
    ['writes/s', number(storage.writesPerSecond, 1)],
    ['read latency mean · p99', `${latency(storage.readsPerSecond, storage.readMeanMs)} · ${latency(storage.readsPerSecond, storage.readP99Ms)}`],
    ['write latency mean · p99', `${latency(storage.writesPerSecond, storage.writeMeanMs)} · ${latency(storage.writesPerSecond, storage.writeP99Ms)}`],
    ['callers per commit (group commit)', storage.writesPerSecond > 0 ? number(storage.callersPerCommit, 1) : '—'],
    ['version conflicts', number(storage.conflicts)],
    ['write failures', number(storage.writeFailures)],
  ]);
  facts('reminders', [
    ['reminders', number(reminders.count)],
    ['next due', reminders.nextDueAt ? new Date(reminders.nextDueAt).toLocaleString() : '—'],
    ['ticks/s', number(reminders.ticksPerSecond, 2)],
    ['ticks received', number(reminders.ticks)],
    ['ticks that failed', number(reminders.failures)],
  ]);

  table('flash-sales', [
    ['sale', s => `<strong>${escape(s.saleId)}</strong> <span class="muted">${escape(s.sku)}</span>`],
    ['phase', s => `<span class="badge ${s.phase}">${s.phase}</span>`],
    ['queue', s => number(s.queueLength), 'num'],
    ['admitted', s => number(s.admitted), 'num'],
    ['sold', s => number(s.unitsSold), 'num'],
    ['awaiting payment', s => number(s.unitsAwaitingPayment), 'num'],
    ['paid', s => number(s.unitsPaid), 'num'],
    ['expired unpaid', s => number(s.unitsExpired), 'num'],
    ['remaining', s => number(s.unitsRemaining), 'num'],
    ['tokens out', s => number(s.tokensOutstanding), 'num'],
    ['sold/s', s => number(s.soldPerSecond, 1), 'num'],
    ['sell-through', s => `<meter min="0" max="${s.units}" value="${s.unitsSold}"></meter> ${number(100 * s.unitsSold / s.units, 0)}%`],
    ['ends', s => time(s.endsAt)],
  ], commerce.flashSales, 'no flash sale is scheduled or live');
  table('hot-skus', [
    ['SKU', s => `<code>${escape(s.sku)}</code>`],
    ['reservations/s', s => number(s.reservationsPerSecond, 1), 'num'],
  ], commerce.hotSkus, 'no reservation in the last seconds');
  table('low-stock', [
    ['SKU', s => `<code>${escape(s.sku)}</code>`],
    ['available', s => number(s.available), 'num'],
    ['threshold', s => number(s.lowStockThreshold), 'num'],
    ['level', s => `<span class="badge ${s.level}">${s.level === 'OutOfStock' ? 'out of stock' : 'low'}</span>`],
  ], commerce.lowStock, 'every SKU is above its threshold');

  if (commerce.orders) {
    const states = Object.entries(commerce.orders.ordersPerMinuteByState).map(([state, perMinute]) => ({ state, perMinute }));
    table('orders', [['status entered', o => escape(o.state)], ['orders/min', o => number(o.perMinute, 0), 'num']],
      states, 'no order changed status in the last minute');
    table('payments', [['time', p => time(p.at)], ['order', p => `<code>${escape(p.orderId)}</code>`], ['reason', p => escape(p.reason)]],
      commerce.orders.recentFailedPayments, 'no payment failed in the last hour');
    $('payments').insertAdjacentHTML('afterbegin', `<caption>${number(commerce.orders.failedPaymentsLastHour)} failed in the last hour</caption>`);
  } else {
    placeholder('orders', 'Not available: this silo reports no order figures.');
    placeholder('payments', 'Not available: this silo reports no payment figures.');
  }
  paymentProvider(commerce.paymentProvider);

  table('errors', [
    ['time', e => time(e.at)],
    ['silo', e => `<code>${escape(e.siloId)}</code>`],
    ['grain', e => escape(e.grainType)],
    ['method', e => escape(e.method)],
    ['error', e => `<span class="muted">${escape(e.exceptionType)}</span> ${escape(e.message)}`],
  ], view.recentErrors, 'no failed grain call');
}

start();

/** The payment provider as this process saw it since it started: declines by code, and provider errors (an operator's alert). */
function paymentProvider(provider) {
  if (!provider) {
    placeholder('payment-provider', 'Not available: no payment gateway runs in this process.');
    return;
  }
  const declines = Object.entries(provider.declines).sort((a, b) => b[1] - a[1]).map(([code, count]) => ({ code, count }));
  const alert = provider.authenticationFailures > 0
    ? `<span class="badge OutOfStock">credentials refused ${number(provider.authenticationFailures)}×, last ${time(provider.lastAuthenticationFailure)}</span>`
    : '';
  table('payment-provider', [['decline code', d => `<code>${escape(d.code)}</code>`], ['declines', d => number(d.count), 'num']],
    declines, 'no decline since this process started');
  $('payment-provider').insertAdjacentHTML('afterbegin', `<caption><code>${escape(provider.provider)}</code> (this process): `
    + `<span id="provider-unavailable">${number(provider.unavailable)}</span> unavailable, `
    + `<span id="provider-auth-failures">${number(provider.authenticationFailures)}</span> refused credentials ${alert}</caption>`);
}
