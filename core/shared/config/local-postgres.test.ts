import { afterAll, describe, expect, it } from "bun:test";
import { existsSync } from "node:fs";
import pg from "pg";
import { loadConfig } from "./index";
import { localPostgresUrl } from "./local-postgres";

const hasSocket = existsSync("/var/run/postgresql/.s.PGSQL.5432");

describe("localPostgresUrl", () => {
  const clients: pg.Client[] = [];
  afterAll(() => Promise.all(clients.map((client) => client.end())));

  const serverAddressOf = async (url: string) => {
    const client = new pg.Client({ connectionString: url });
    clients.push(client);
    await client.connect();
    const { rows } = await client.query<{ address: string | null; database: string }>(
      "select host(inet_server_addr()) as address, current_database() as database",
    );
    return rows[0];
  };

  it("reaches the named database through the server's Unix socket when it has one, else over TCP", async () => {
    // Over a Unix socket the server has no address for the connection.
    expect(await serverAddressOf(localPostgresUrl("postgres"))).toEqual({
      address: hasSocket ? null : "127.0.0.1",
      database: "postgres",
    });
  });

  it("keeps host and port for what probes the server over TCP", () => {
    const url = new URL(localPostgresUrl("quickcommerce"));
    expect([url.hostname, url.port, url.pathname]).toEqual(["127.0.0.1", "5432", "/quickcommerce"]);
    expect(url.searchParams.get("host")).toBe(hasSocket ? "/var/run/postgresql" : null);
  });

  it("is the default database of a development machine", () => {
    expect(loadConfig({}).DATABASE_URL).toBe(localPostgresUrl("quickcommerce"));
  });
});
