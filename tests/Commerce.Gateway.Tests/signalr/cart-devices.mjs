// Two devices of one customer on /hubs/cart, through the real SignalR client:
//   node cart-devices.mjs <baseUrl> <accessToken> <sku>
// Both devices follow the cart; then device A sets a line over REST. Both must be pushed the new cart.
// The last line printed is a JSON summary for the C# test to check.
import { HubConnectionBuilder, HttpTransportType, LogLevel } from "@microsoft/signalr";

const [baseUrl, token, sku] = process.argv.slice(2);

function device() {
  const connection = new HubConnectionBuilder()
    .withUrl(`${baseUrl}/hubs/cart`, { accessTokenFactory: () => token, transport: HttpTransportType.WebSockets })
    .configureLogging(LogLevel.Warning)
    .build();
  // Resolves with the first pushed cart that has the line.
  const pushed = new Promise((resolve) => {
    connection.on("CartChanged", (cart) => {
      if (cart.lines.some((line) => line.sku === sku)) resolve(cart);
    });
  });
  return { connection, pushed };
}

const devices = [device(), device()];
await Promise.all(devices.map((d) => d.connection.start()));
const before = await Promise.all(devices.map((d) => d.connection.invoke("Follow")));

const response = await fetch(`${baseUrl}/api/v1/cart/items/${sku}`, {
  method: "PUT",
  headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  body: JSON.stringify({ quantity: 3 }),
});
const pushed = await Promise.all(devices.map((d) => d.pushed));
await Promise.all(devices.map((d) => d.connection.stop()));

console.log(JSON.stringify({
  status: response.status,
  linesBefore: before.map((cart) => cart.lines.length),
  pushedQuantities: pushed.map((cart) => cart.lines.find((line) => line.sku === sku).quantity),
  pushedVersions: pushed.map((cart) => cart.version),
  versionBefore: before[0].version,
}));
