// Customers who follow a sale before they join it, through the real SignalR client:
//   node places.mjs <baseUrl> <saleId> <customers>      (env COMMERCE_OPERATOR_KEY: the operator bootstrap key)
// One after another, each customer connects to /hubs/flash-sale, subscribes (not queued yet), joins over
// REST and waits for the place the hub pushes after the join (ten seconds at most). Then the operator
// cancels the sale, and once every customer heard that it ended, the last line printed is a JSON summary:
// each customer's place as the join answered it and every place pushed to them, in order.
import { HubConnectionBuilder, HttpTransportType, LogLevel } from "@microsoft/signalr";

const [baseUrl, saleId, countText] = process.argv.slice(2);
const operatorKey = process.env.COMMERCE_OPERATOR_KEY;
const errors = [];

async function call(method, path, { token, body } = {}) {
  const response = await fetch(baseUrl + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** Resolves when `promise` does or after `ms`, whichever is first. */
const within = (promise, ms) => Promise.race([promise, new Promise((resolve) => setTimeout(resolve, ms))]);

class Customer {
  constructor() {
    this.pushed = [];
    this.firstPush = new Promise((resolve) => (this.pushedOnce = resolve));
    this.ended = new Promise((resolve) => (this.hearEnd = resolve));
  }

  async followThenJoin() {
    this.token = (await call("POST", "/api/v1/customers/anonymous")).body.accessToken;
    this.connection = new HubConnectionBuilder()
      .withUrl(`${baseUrl}/hubs/flash-sale`, { accessTokenFactory: () => this.token, transport: HttpTransportType.WebSockets, skipNegotiation: true })
      .configureLogging(LogLevel.Error)
      .build();
    this.connection.on("Position", (sale, position) => {
      this.pushed.push(position);
      this.pushedOnce();
    });
    this.connection.on("SaleEnded", () => this.hearEnd());
    await this.connection.start();
    const before = await this.connection.invoke("Subscribe", saleId);
    if (before.state !== "NotQueued") {
      errors.push(`subscribed before joining, but the hub answered ${JSON.stringify(before)}`);
    }
    const joined = await call("POST", `/api/v1/flash-sales/${saleId}/queue`, { token: this.token });
    if (joined.status !== 200) {
      errors.push(`join answered ${joined.status} ${JSON.stringify(joined.body)}`);
    }
    this.joinedAt = joined.body?.position ?? null;
    await within(this.firstPush, 10_000);
  }
}

const customers = [];
for (let i = 0; i < Number(countText); i++) {
  const customer = new Customer();
  customers.push(customer);
  await customer.followThenJoin();
}

const operator = await call("POST", "/api/v1/operators/token", { body: { key: operatorKey } });
const cancelled = await call("POST", `/api/v1/flash-sales/${saleId}/cancel`, { token: operator.body.accessToken });
if (cancelled.status !== 200) {
  errors.push(`cancel answered ${cancelled.status} ${JSON.stringify(cancelled.body)}`);
}
await within(Promise.all(customers.map((c) => c.ended)), 30_000);
await Promise.all(customers.map((c) => c.connection.stop()));

console.log(JSON.stringify({ customers: customers.map((c) => ({ joinedAt: c.joinedAt, pushed: c.pushed })), errors }));
