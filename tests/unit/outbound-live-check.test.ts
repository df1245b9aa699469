import { describe, expect, it } from "vitest";
import { checkUrlImportPolicy } from "@/lib/http/outbound";

// SSRF-1 live check (`npm run controls:check`): the deployment's URL-import settings refuse every canary form.
describe("SSRF-1 live check: URL import policy", () => {
  it("passes with the default settings, naming the ports", async () => {
    const result = await checkUrlImportPolicy({ allowedPorts: [80, 443], allowHosts: [], production: true });
    expect(result.status).toBe("pass");
    expect(result.detail).toContain("ports 80, 443");
  });

  it("still judges addresses when only 443 is allowed", async () => {
    expect((await checkUrlImportPolicy({ allowedPorts: [443], allowHosts: [], production: true })).status).toBe("pass");
  });

  it("fails when a loopback allow-list is set in production", async () => {
    const result = await checkUrlImportPolicy({ allowedPorts: [80, 443], allowHosts: ["127.0.0.1:4010"], production: true });
    expect(result).toMatchObject({ status: "fail" });
    expect(result.detail).toContain("URL_IMPORT_ALLOW_HOSTS");
  });
});
