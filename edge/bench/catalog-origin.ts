/**
 * A stand-in catalog service for the cached-read benchmark: it answers one product page and counts
 * how often it was asked, so the run can prove the edge served from KV and not from here.
 */
let calls = 0;
const page = JSON.stringify({
  items: Array.from({ length: 20 }, (_, i) => ({
    sku: `SKU-${i}`,
    storeId: "0190a5c0-0000-7000-8000-000000000001",
    name: `Product ${i}`,
    description: null,
    category: "fruit",
    imageUrl: null,
    price: { amountMinor: 1000 + i, currency: "INR" },
    available: 10,
    inStock: true,
  })),
  nextCursor: null,
});

const server = Bun.serve({
  port: Number(process.env.ORIGIN_PORT ?? 28402),
  hostname: "127.0.0.1",
  fetch(request) {
    if (new URL(request.url).pathname === "/calls") return Response.json({ calls });
    calls += 1;
    return new Response(page, { headers: { "content-type": "application/json" } });
  },
});
console.log(`catalog origin on ${server.url}`);
