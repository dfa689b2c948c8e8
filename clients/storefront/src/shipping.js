// What the shop ships by and where it ships to, as the silos apply them (GET /api/v1/checkout/options,
// read once per visit): the pages offer exactly what carts and checkout accept.
import { read } from './api.js';
import { money } from './dom.js';

let terms = null;
const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });

/** "US-CA" → "United States — CA", "DE" → "Germany". */
function regionName(code) {
  const [country, subdivision] = code.split('-');
  const name = regionNames.of(country) ?? country;
  return subdivision ? `${name} — ${subdivision}` : name;
}

/** "next-day" at €19.95 → "Next day — €19.95"; with its free-shipping threshold when it has one. */
function methodName({ method, price, freeFrom }) {
  const name = method.charAt(0).toUpperCase() + method.slice(1).replaceAll('-', ' ');
  return `${name} — ${money(price)}${freeFrom ? `, free from ${money(freeFrom)}` : ''}`;
}

/** { methods: [[code, label]], regions: [[code, label]], defaultMethod } for the shop's selects. */
export function shippingOptions() {
  terms ??= read('/api/v1/checkout/options').then((t) => ({
    methods: t.shippingMethods.map((m) => [m.method, methodName(m)]),
    regions: t.regions.map((r) => [r.region, regionName(r.region)]),
    defaultMethod: t.defaultShippingMethod,
  }), (error) => {
    terms = null; // asked again by the next page
    throw error;
  });
  return terms;
}

/** The ISO country of a tax region: "US-CA" ships to US. */
export const countryOf = (region) => region.split('-')[0];
