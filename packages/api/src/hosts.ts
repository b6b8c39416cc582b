import { hostname as machineName, networkInterfaces } from "node:os";

/**
 * Which Host and Origin headers a server accepts: the addresses it serves, and nothing else, so a
 * web page that rebinds its own DNS name to 127.0.0.1 (or posts cross-site) is refused even with
 * `--no-auth`. A name is accepted on the server's own port; an `--allowed-host` without a port
 * (a name a reverse proxy forwards) on any port.
 */
export interface HostPolicy {
  /** null when the Host header names this server; otherwise why not. */
  checkHost(header: string | undefined): string | null;
  /** null when there is no Origin header or it is one of this server's addresses. */
  checkOrigin(header: string | undefined): string | null;
}

function normalize(name: string): string {
  let n = name.trim().toLowerCase();
  if (n.endsWith(".")) n = n.slice(0, -1);
  if (n.includes(":") && !n.startsWith("[")) n = `[${n}]`;
  return n;
}

function isWildcard(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "[::]" || host === "";
}

function isLoopbackName(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** `name` or `name:port` (IPv6 in brackets), as given to --allowed-host. */
export function parseAllowedHost(value: string): { name: string; port: number | null } | null {
  const v = value.trim();
  if (v === "" || /[\s/@?#]/.test(v)) return null;
  try {
    const u = new URL(`http://${v}`);
    if (u.hostname === "") return null;
    return { name: normalize(u.hostname), port: u.port === "" ? (/:\d+$/.test(v) ? 80 : null) : Number(u.port) };
  } catch {
    return null;
  }
}

export function hostPolicy(bindHost: string, port: number, allowed: readonly string[] = []): HostPolicy {
  const own = new Set<string>([normalize(bindHost)]);
  if (isLoopbackName(bindHost) || isWildcard(bindHost)) for (const n of ["localhost", "127.0.0.1", "[::1]"]) own.add(n);
  if (isWildcard(bindHost)) {
    own.add(normalize(machineName()));
    for (const list of Object.values(networkInterfaces()))
      for (const a of list ?? []) own.add(normalize(a.address.replace(/%.*$/, "")));
  }
  const extra = allowed.map((a) => {
    const parsed = parseAllowedHost(a);
    if (!parsed) throw new Error(`--allowed-host: '${a}' is not a host name or host:port`);
    return parsed;
  });

  const accepts = (name: string, reqPort: number): boolean =>
    (own.has(name) && reqPort === port) ||
    extra.some((e) => e.name === name && (e.port === null || e.port === reqPort));

  return {
    checkHost(header) {
      if (header === undefined || header === "") return "the request has no Host header";
      let u: URL;
      try {
        u = new URL(`http://${header}`);
      } catch {
        return `Host '${header}' is not a host name`;
      }
      if (u.username || u.password || u.pathname !== "/" || u.search || u.hash)
        return `Host '${header}' is not a host name`;
      const reqPort = u.port === "" ? 80 : Number(u.port);
      return accepts(normalize(u.hostname), reqPort)
        ? null
        : `Host '${header}' is not an address this server answers to (start it with --allowed-host to add one)`;
    },
    checkOrigin(header) {
      if (header === undefined) return null;
      let u: URL;
      try {
        u = new URL(header);
      } catch {
        return `Origin '${header}' is not allowed`;
      }
      if (u.protocol !== "http:" && u.protocol !== "https:") return `Origin '${header}' is not allowed`;
      const reqPort = u.port === "" ? (u.protocol === "https:" ? 443 : 80) : Number(u.port);
      return accepts(normalize(u.hostname), reqPort)
        ? null
        : `Origin '${header}' is not this server (cross-site requests are refused)`;
    },
  };
}
