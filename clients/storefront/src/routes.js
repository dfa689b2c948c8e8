// Every page of the storefront: a path pattern (":name" captures one segment) and the module that
// renders it, loaded when first visited so the first page carries only its own code.
export const routes = [
  { path: '/', page: () => import('./pages/home.js') },
  { path: '/category/:id', page: () => import('./pages/category.js') },
  { path: '/search', page: () => import('./pages/search.js') },
  { path: '/product/:id', page: () => import('./pages/product.js') },
  { path: '/cart', page: () => import('./pages/cart.js') },
  { path: '/checkout', page: () => import('./pages/checkout.js') },
  { path: '/sign-in', page: () => import('./pages/sign-in.js') },
  { path: '/register', page: () => import('./pages/register.js') },
  { path: '/account', page: () => import('./pages/account.js') },
  { path: '/orders', page: () => import('./pages/orders.js') },
  { path: '/orders/:id', page: () => import('./pages/order.js') },
  { path: '/flash-sale/:saleId', page: () => import('./pages/flash-sale.js') },
  { path: '/payments/authenticate', page: () => import('./pages/authenticate.js') },
];
