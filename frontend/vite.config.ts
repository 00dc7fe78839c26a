/// <reference types="vitest/config" />
import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig, type ProxyOptions } from "vite";
import { securityHeaders } from "./securityHeaders";

// The Vite server (dev, and `vite preview` for a production build) is THE web
// origin of the local stack: the browser only ever talks to this one origin and
// the server forwards API and socket traffic to the backend processes. This
// mirrors what gateway/Caddyfile does for `make up` and compose.

function envPort(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name} must be a TCP port number, got ${JSON.stringify(raw)}`);
  }
  return port;
}

const webHost = process.env.PARLEY_WEB_HOST || "127.0.0.1";
const webPort = envPort("PARLEY_WEB_PORT", 8080);
const commandUrl = process.env.PARLEY_COMMAND_URL || "http://127.0.0.1:8001";
const queryUrl = process.env.PARLEY_QUERY_URL || "http://127.0.0.1:8002";
const realtimeUrl = process.env.PARLEY_REALTIME_URL || "http://127.0.0.1:8003";

// The backends believe X-Forwarded-For from this gateway only (uvicorn's
// default: 127.0.0.1), and take the client's address from it for the login
// limits. So the gateway SETS the X-Forwarded-* headers to what it saw itself,
// replacing whatever the client sent; appending (http-proxy's xfwd) would let
// a client name any address it likes. Same as gateway/Caddyfile.
type Outgoing = { setHeader(name: string, value: string): void };
type Incoming = {
  socket: { remoteAddress?: string; encrypted?: boolean };
  headers: Record<string, string | string[] | undefined>;
};

function setForwarded(proxyReq: Outgoing, req: Incoming): void {
  proxyReq.setHeader("X-Forwarded-For", req.socket.remoteAddress ?? "");
  proxyReq.setHeader("X-Forwarded-Proto", req.socket.encrypted ? "https" : "http");
  const host = req.headers.host;
  proxyReq.setHeader("X-Forwarded-Host", typeof host === "string" ? host : "");
}

// changeOrigin stays false everywhere: the backends (the realtime server in
// particular) check the browser's Origin header against the allowed web origin
// (http://localhost:8080), so Host/Origin must reach them unchanged.
const forward = (target: string, extra: Partial<ProxyOptions> = {}): ProxyOptions => ({
  target,
  changeOrigin: false,
  xfwd: false,
  configure: (proxy) => {
    proxy.on("proxyReq", (proxyReq, req) => setForwarded(proxyReq, req));
    proxy.on("proxyReqWs", (proxyReq, req) => setForwarded(proxyReq, req));
  },
  ...extra,
});

// Vite takes the FIRST key that matches, in insertion order, so the command
// routes must come before the catch-all `/api`. Keys starting with "^" are
// regular expressions tested against the path plus query string; the
// `(/|\?|$)` tail keeps `/api/profile` from also swallowing e.g. `/api/profiles`.
const proxy: Record<string, ProxyOptions> = {
  "^/api/(auth|messages|uploads|profile)(/|\\?|$)": forward(commandUrl),
  "/api": forward(queryUrl),
  "/socket.io": forward(realtimeUrl, { ws: true }),
};

export default defineConfig({
  plugins: [securityHeaders(), react(), tailwindcss()],
  server: {
    host: webHost,
    port: webPort,
    strictPort: true,
    proxy,
  },
  preview: {
    host: webHost,
    port: webPort,
    strictPort: true,
    proxy,
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    css: false,
  },
});
