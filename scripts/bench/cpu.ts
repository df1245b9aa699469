// CPU and memory accounting from Linux's /proc, shared by the benchmarks. Unlike req/s, CPU time per operation
// hardly moves when other work on the machine takes turns on the cores, so it compares paths' cost.
import { existsSync, readdirSync, readFileSync } from "node:fs";

// Linux's USER_HZ: 100 on every common architecture (getconf CLK_TCK).
const CLOCK_TICKS_PER_SECOND = 100;
const ticksToMs = (ticks: number) => (ticks * 1000) / CLOCK_TICKS_PER_SECOND;

/** utime + stime of one /proc/<pid>/stat line, in clock ticks; the command name may hold spaces and parentheses. */
function parseStat(text: string): { name: string; ppid: number; ticks: number } {
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { name: text.slice(text.indexOf("(") + 1, text.lastIndexOf(")")), ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

/** CPU time in ms (user + system) of one process (not its children). */
export function processCpuMs(pid: number): number {
  return ticksToMs(parseStat(readFileSync(`/proc/${pid}/stat`, "utf8")).ticks);
}

/** Resident set size and its peak (VmHWM), in bytes. */
export function processMemory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
}

/**
 * CPU time in ms (user + system) of a process and all its descendants, and in the same pass that of local PostgreSQL
 * and Redis processes (by name); null where /proc is missing.
 */
export function cpuSnapshot(root: number): { server: number; postgres: number | null; redis: number | null } | null {
  if (!existsSync(`/proc/${root}/stat`)) return null;
  const stats = new Map<number, { ppid: number; ticks: number; name: string }>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      stats.set(Number(entry), parseStat(readFileSync(`/proc/${entry}/stat`, "utf8")));
    } catch {
      // exited meanwhile
    }
  }
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid, hops = 0; p && hops < 64; p = stats.get(p)?.ppid, hops++) if (p === root) return true;
    return false;
  };
  let server = 0;
  let postgres: number | null = null;
  let redis: number | null = null;
  for (const [pid, s] of stats) {
    if (inTree(pid)) server += s.ticks;
    else if (s.name === "postgres") postgres = (postgres ?? 0) + s.ticks;
    else if (s.name === "redis-server") redis = (redis ?? 0) + s.ticks;
  }
  return { server: ticksToMs(server), postgres: postgres === null ? null : ticksToMs(postgres), redis: redis === null ? null : ticksToMs(redis) };
}

/** This process's own CPU time in ms (user + system). */
export function ownCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
