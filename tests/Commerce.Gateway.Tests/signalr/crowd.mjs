// A crowd in one flash sale, through the real SignalR client:
//   node crowd.mjs <baseUrl> <saleId> <customers> [open-first]   (env COMMERCE_OPERATOR_KEY: the operator bootstrap key)
// Every customer gets an anonymous token, connects to /hubs/flash-sale, joins the queue over REST and
// subscribes. The operator opens the sale once all are in, or with "open-first" before anyone joins,
// so that admissions race the joins and subscriptions. Admitted customers buy with their token; the
// others wait for "sold out". The last line printed is a JSON summary for the C# test to check.
import { HubConnectionBuilder, HttpTransportType, LogLevel } from "@microsoft/signalr";
import { randomUUID } from "node:crypto";

const [baseUrl, saleId, countText, mode] = process.argv.slice(2);
const openFirst = mode === "open-first";
const count = Number(countText);
const operatorKey = process.env.COMMERCE_OPERATOR_KEY;
const errors = [];

async function call(method, path, { token, body, headers } = {}) {
  const response = await fetch(baseUrl + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** Runs fn over items with at most `width` in flight, so that a few hundred sockets open without a stampede. */
async function inBatches(items, width, fn) {
  const results = [];
  for (let i = 0; i < items.length; i += width) {
    results.push(...(await Promise.all(items.slice(i, i + width).map(fn))));
  }
  return results;
}

class Customer {
  constructor(index) {
    this.index = index;
    this.positions = [];
    this.pushedPositions = 0;
    this.placeWentUp = false;
    this.admitted = false;
    this.purchasedUnits = 0;
    this.soldOut = false;
    this.done = new Promise((resolve) => (this.finish = resolve));
  }

  async connect() {
    const issued = await call("POST", "/api/v1/customers/anonymous");
    this.token = issued.body.accessToken;
    this.connection = new HubConnectionBuilder()
      .withUrl(`${baseUrl}/hubs/flash-sale`, { accessTokenFactory: () => this.token, transport: HttpTransportType.WebSockets, skipNegotiation: true })
      .configureLogging(LogLevel.Error)
      .build();
    this.connection.on("Position", (sale, position) => {
      this.pushedPositions++;
      this.tell(position);
    });
    this.connection.on("Admitted", (sale, token) => this.buy(token));
    this.connection.on("SoldOut", () => this.hearSoldOut());
    this.connection.on("SaleEnded", () => this.finish());
    await this.connection.start();
  }

  async join() {
    const joined = await call("POST", `/api/v1/flash-sales/${saleId}/queue`, { token: this.token });
    if (joined.status === 409 && joined.body?.code === "sold-out") {
      this.hearSoldOut(); // A sale opened first can sell out before the last customers join.
      return;
    }
    if (joined.status !== 200) {
      errors.push(`customer ${this.index}: join answered ${joined.status} ${JSON.stringify(joined.body)}`);
      this.finish();
      return;
    }
    const place = await this.connection.invoke("Subscribe", saleId);
    if (place.position) {
      this.tell(place.position);
    }
    if (place.state === "Admitted") {
      this.buy(place.token);
    } else if (place.state === "SoldOut") {
      this.hearSoldOut();
    }
  }

  /** A place only ever goes down; one that went up is a defect the test counts. */
  tell(position) {
    if (this.positions.length > 0 && position > this.positions[this.positions.length - 1]) {
      this.placeWentUp = true;
    }
    this.positions.push(position);
  }

  async buy(token) {
    if (this.admitted) {
      return; // The same admission can arrive pushed and in the subscription answer.
    }
    this.admitted = true;
    const bought = await call("POST", `/api/v1/flash-sales/${saleId}/purchases`, {
      token: this.token,
      body: { token: token.value, quantity: token.quantity },
      headers: { "idempotency-key": randomUUID() },
    });
    if (bought.status === 201) {
      this.purchasedUnits = bought.body.quantity;
    } else {
      errors.push(`customer ${this.index}: purchase answered ${bought.status} ${JSON.stringify(bought.body)}`);
    }
    this.finish();
  }

  hearSoldOut() {
    if (!this.admitted) {
      this.soldOut = true;
      this.finish();
    }
  }
}

async function openSale() {
  const operator = await call("POST", "/api/v1/operators/token", { body: { key: operatorKey } });
  const started = await call("POST", `/api/v1/flash-sales/${saleId}/start`, { token: operator.body.accessToken });
  if (started.status !== 200) {
    errors.push(`start answered ${started.status} ${JSON.stringify(started.body)}`);
  }
}

const customers = Array.from({ length: count }, (_, i) => new Customer(i));
await inBatches(customers, 25, (c) => c.connect());
if (openFirst) {
  await openSale();
}
await inBatches(customers, 25, (c) => c.join());
if (!openFirst) {
  await openSale();
}

const patience = setTimeout(() => {
  errors.push("gave up waiting for every customer to buy or hear sold out");
  customers.forEach((c) => c.finish());
}, 120_000);
await Promise.all(customers.map((c) => c.done));
clearTimeout(patience);
await Promise.all(customers.map((c) => c.connection.stop()));

console.log(JSON.stringify({
  customers: customers.length,
  withPosition: customers.filter((c) => c.positions.length > 0).length,
  withPushedPosition: customers.filter((c) => c.pushedPositions > 0).length,
  placeWentUp: customers.filter((c) => c.placeWentUp).length,
  admitted: customers.filter((c) => c.admitted).length,
  buyers: customers.filter((c) => c.purchasedUnits > 0).length,
  unitsPurchased: customers.reduce((sum, c) => sum + c.purchasedUnits, 0),
  soldOut: customers.filter((c) => c.soldOut).length,
  // Customers neither admitted nor told sold out when the sale was over: a lost push.
  undecided: customers.filter((c) => !c.admitted && !c.soldOut).length,
  errors,
}));
