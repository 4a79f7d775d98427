import { z } from "zod";
import { CHECKOUT } from "./data-points";
import type { OpsSource, RequestFigures } from "./source";

const Count = z.object({
  route: z.string(),
  method: z.string(),
  status: z.coerce.number(),
  cache: z.string(),
  count: z.coerce.number(),
});
// quantileExactWeighted over no rows answers 0 (ClickHouse's default): `n` tells an empty window apart.
const Latency = z.object({ p50: z.coerce.number(), p99: z.coerce.number(), n: z.coerce.number() });

/**
 * The edge's request data points as the Analytics Engine SQL API answers them (staging and production):
 * `POST https://api.cloudflare.com/client/v4/accounts/<CLOUDFLARE_ACCOUNT_ID>/analytics_engine/sql` with
 * `CLOUDFLARE_API_TOKEN` (it needs Account Analytics: Read), the dataset named by `REQUESTS_DATASET`.
 * Every count is weighted by `_sample_interval`, so sampled data points still add up to requests.
 */
export class AnalyticsEngineSource implements OpsSource {
  readonly name = "analytics-engine";

  constructor(private readonly options: { accountId: string; apiToken: string; dataset: string }) {
    if (!/^\w+$/.test(options.dataset)) throw new Error(`not a dataset name: ${options.dataset}`);
  }

  async requestFigures(windowSeconds: number): Promise<RequestFigures> {
    const dataset = this.options.dataset;
    const window = `timestamp > NOW() - INTERVAL '${Math.trunc(windowSeconds)}' SECOND`;
    const [counts, latency] = await Promise.all([
      this.query(
        `SELECT blob1 AS route, blob2 AS method, double1 AS status, blob3 AS cache, SUM(_sample_interval) AS count
         FROM ${dataset} WHERE ${window}
         GROUP BY route, method, status, cache`,
        Count,
      ),
      this.query(
        `SELECT quantileExactWeighted(0.5)(double2, _sample_interval) AS p50,
                quantileExactWeighted(0.99)(double2, _sample_interval) AS p99,
                SUM(_sample_interval) AS n
         FROM ${dataset} WHERE ${window} AND blob1 = '${CHECKOUT.route}' AND blob2 = '${CHECKOUT.method}'
           AND double1 IN (${CHECKOUT.acceptedStatuses.join(", ")})`,
        Latency,
      ),
    ]);
    const checkout = latency[0];
    return {
      counts,
      checkoutLatencyMs:
        checkout && checkout.n > 0 ? { p50: checkout.p50, p99: checkout.p99 } : { p50: null, p99: null },
    };
  }

  private async query<T extends z.ZodType>(sql: string, row: T): Promise<z.infer<T>[]> {
    const response = await fetch(
      `https://api.cloudflare.com/client/v4/accounts/${this.options.accountId}/analytics_engine/sql`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${this.options.apiToken}` },
        body: `${sql} FORMAT JSON`,
        signal: AbortSignal.timeout(5_000),
      },
    );
    if (!response.ok) {
      throw new Error(`Analytics Engine SQL API answered ${response.status}: ${await response.text()}`);
    }
    return z.object({ data: z.array(row) }).parse(await response.json()).data;
  }
}
