// Every page of the storefront: a path pattern (":name" captures one segment) and the module that
// renders it, loaded when first visited so the first page carries only its own code.
export const routes = [
  { path: '/', page: () => import('./pages/home.js') },
];
