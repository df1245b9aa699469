import net from "node:net";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { socketOf } from "@/lib/db/engine";

/**
 * lib/db/engine.ts reaches one private field of the installed pg: a client's socket (`connection.stream`), corked so
 * that BEGIN with the preamble, the statement and COMMIT leave in one write. pg documents no handle for it, so this
 * pins its shape on the installed version: after an upgrade that moves it, this test fails (the engine would still
 * be correct, with one write per message).
 */
describe("the pg internals lib/db relies on", () => {
  it("a client's connection keeps its socket as `stream`, a net.Socket with cork and uncork", () => {
    const client = new pg.Client({ connectionString: "postgres://nobody@127.0.0.1:1/none" });
    const socket = socketOf(client);
    expect(socket).not.toBeNull();
    expect(socket).toBeInstanceOf(net.Socket);
    expect(socket).toBe((client as unknown as { connection: { stream: unknown } }).connection.stream);
  });

  it("corking that socket holds writes back until it is uncorked, in one write", () => {
    const client = new pg.Client({ connectionString: "postgres://nobody@127.0.0.1:1/none" });
    const socket = socketOf(client) as net.Socket & { cork(): void; uncork(): void };
    socket.cork();
    socket.cork();
    expect(socket.writableCorked).toBe(2);
    socket.uncork();
    expect(socket.writableCorked).toBe(1);
    socket.uncork();
    expect(socket.writableCorked).toBe(0);
  });
});
