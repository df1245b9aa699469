import { family } from "../types";

export const SSRF = family("SSRF", [
  {
    id: "SSRF-1",
    title: "SSRF-safe URL import",
    description:
      "URL import fetches only http and https URLs whose every resolved address is plain public unicast: loopback, private, link-local, CGNAT, unique-local, IPv4-mapped forms and cloud metadata addresses are refused. The connection goes to the address that was checked (no DNS rebinding), every redirect is checked again, and size, time and content type are capped.",
    status: "planned",
    issue: 13,
    implementation: [],
    evidence: [],
  },
  {
    id: "SSRF-2",
    title: "Timeouts and bounded retries on outbound calls",
    description:
      "Every outbound call TenantGuard makes goes through one client with a timeout and a bounded number of retries, so a slow or failing service cannot hold requests or workers.",
    status: "planned",
    issue: 13,
    implementation: [],
    evidence: [],
  },
]);
