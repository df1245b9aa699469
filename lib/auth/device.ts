import UAParser from "ua-parser-js";

/**
 * IDN-4: a session's device as people recognise it ("Firefox 132 on Windows 10, desktop"), parsed from the stored
 * user agent; the raw string is never shown.
 */
export function describeDevice(userAgent: string | null): string {
  if (!userAgent) return "Unknown device";
  const { browser, os, device } = new UAParser(userAgent).getResult();
  const major = browser.version?.split(".")[0];
  const app = browser.name ? `${browser.name}${major ? ` ${major}` : ""}` : null;
  const system = os.name ? `${os.name}${os.version ? ` ${os.version}` : ""}` : null;
  const kind = device.type ? device.type : "desktop";
  if (!app && !system) return "Unknown device";
  return `${app ?? "Unknown browser"}${system ? ` on ${system}` : ""}, ${kind}`;
}
