// The flash-sale banner under the header on every page but the sale's own: the live sale, else the
// next one, from the public list of current sales, with a countdown to its start; nothing when there
// is none. The list is read again every minute and when a countdown runs out.
import { read } from '../api.js';
import { h, money, replace } from '../dom.js';
import { remaining } from './flash-sale.time.js';
import './flash-sale.css';

const REFRESH_MS = 60_000;

/** A current sale by id; a sale that is over comes from its own read, without a title (throws ApiError 404 when there is none). */
export async function loadSale(saleId) {
  const found = (await read('/api/v1/flash-sales/current')).find((sale) => sale.saleId === saleId);
  return found ?? { ...(await read(`/api/v1/flash-sales/${encodeURIComponent(saleId)}`)), title: null };
}

export function showFlashSaleBanner() {
  const banner = h('aside', { class: 'fs-banner', 'aria-label': 'Flash sale', hidden: true });
  document.querySelector('.site-header').after(banner);
  let sale = null;
  let readAt = 0;

  const status = () => ({ Live: 'Live now', Scheduled: `Starts in ${remaining(sale.startsAt)}`, SoldOut: 'Sold out' }[sale.phase]);

  async function refresh() {
    readAt = Date.now();
    let sales;
    try {
      sales = await read('/api/v1/flash-sales/current');
    } catch {
      return; // the shop works without it; the next refresh tries again
    }
    sale = sales.find((s) => s.phase === 'Live') ?? sales.find((s) => s.phase === 'Scheduled') ?? sales[0] ?? null;
    if (!sale) return;
    replace(banner,
      h('span', { class: 'fs-banner-text' },
        h('strong', null, 'Flash sale · ', h('span', { class: 'fs-banner-status' }, status()), ': '),
        `${sale.title} for ${money(sale.price)} `,
        h('del', null, h('span', { class: 'visually-hidden' }, 'instead of '), money(sale.regularPrice))),
      h('a', { href: `/flash-sale/${encodeURIComponent(sale.saleId)}`, class: 'button' }, 'Go to the sale'));
  }

  setInterval(() => {
    const started = sale?.phase === 'Scheduled' && new Date(sale.startsAt).getTime() <= Date.now();
    if (Date.now() - readAt >= REFRESH_MS || (started && Date.now() - readAt >= 1000)) refresh();
    // Not on the sale's own page, which says it all.
    banner.hidden = !sale || location.pathname === `/flash-sale/${encodeURIComponent(sale.saleId)}`;
    const line = banner.querySelector('.fs-banner-status');
    if (line && sale) line.textContent = status();
  }, 1000);
  refresh().then(() => { banner.hidden = !sale || location.pathname === `/flash-sale/${encodeURIComponent(sale.saleId)}`; });
}
