// The flash-sale banner on every page but the sale's own: the live sale, else the next one, from the
// public list of current sales, with a countdown to its start; nothing when there is none. The list
// is read again every minute and when a countdown runs out. It is a bar fixed to the bottom of the
// window, so that arriving after the page has drawn moves nothing on it (no layout shift); the page
// gets room below its footer for it. A shopper may close it for the rest of the visit.
import { read } from '../api.js';
import { h, money, replace } from '../dom.js';
import { remaining } from './flash-sale.time.js';
import './flash-sale.css';

const REFRESH_MS = 60_000;
const CLOSED_KEY = 'commerce.flash-sale-banner.closed';

/** A current sale by id; a sale that is over comes from its own read, without a title (throws ApiError 404 when there is none). */
export async function loadSale(saleId) {
  const found = (await read('/api/v1/flash-sales/current')).find((sale) => sale.saleId === saleId);
  return found ?? { ...(await read(`/api/v1/flash-sales/${encodeURIComponent(saleId)}`)), title: null };
}

export function showFlashSaleBanner() {
  const banner = h('aside', { class: 'fs-banner', 'aria-label': 'Flash sale', hidden: true });
  document.body.append(banner);
  // Room under the footer as tall as the bar, so that the bar never covers the end of a page.
  new ResizeObserver(() => { document.body.style.paddingBottom = banner.hidden ? '' : `${banner.offsetHeight}px`; }).observe(banner);
  let sale = null;
  let readAt = 0;

  const status = () => ({ Live: 'Live now', Scheduled: `Starts in ${remaining(sale.startsAt)}`, SoldOut: 'Sold out' }[sale.phase]);
  const show = () => {
    // Not on the sale's own page, which says it all, nor once the shopper closed it.
    banner.hidden = !sale || location.pathname === `/flash-sale/${encodeURIComponent(sale.saleId)}`
      || sessionStorage.getItem(CLOSED_KEY) === sale.saleId;
    const line = banner.querySelector('.fs-banner-status');
    if (line && sale) line.textContent = status();
  };

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
      h('a', { href: `/flash-sale/${encodeURIComponent(sale.saleId)}`, class: 'button' }, 'Go to the sale'),
      h('button', { type: 'button', class: 'fs-banner-close', 'aria-label': 'Close the flash-sale banner', onclick: () => {
        sessionStorage.setItem(CLOSED_KEY, sale.saleId);
        show();
      } }, '×'));
  }

  setInterval(() => {
    const started = sale?.phase === 'Scheduled' && new Date(sale.startsAt).getTime() <= Date.now();
    if (Date.now() - readAt >= REFRESH_MS || (started && Date.now() - readAt >= 1000)) refresh();
    show();
  }, 1000);
  refresh().then(show);
}
