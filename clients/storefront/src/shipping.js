// What the shop ships by and where it ships to, as the gateway's defaults (Commerce:Checkout);
// the cart refuses anything else with a problem naming the field, which the pages show.
export const SHIPPING_METHODS = [
  ['standard', 'Standard (3–5 days)'],
  ['express', 'Express (1–2 days)'],
  ['next-day', 'Next day'],
];

export const REGIONS = [
  ['DE', 'Germany'],
  ['FR', 'France'],
  ['NL', 'Netherlands'],
  ['IT', 'Italy'],
  ['ES', 'Spain'],
  ['GB', 'United Kingdom'],
  ['US-CA', 'United States — California'],
  ['US-NY', 'United States — New York'],
  ['US-OR', 'United States — Oregon'],
];

/** The ISO country of a tax region: "US-CA" ships to US. */
export const countryOf = (region) => region.split('-')[0];
