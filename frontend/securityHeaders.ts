// Security headers of the web origin served by Vite (`make dev`).
// gateway/Caddyfile sends the same policy (`make up`, the tests, compose).
//
// What the app loads, and so all the policy allows: its own scripts, styles,
// images and media; blob: object URLs (previews of attachments before upload);
// data: images and fonts; API calls and the Socket.IO websocket to this same
// origin. Nothing from other origins, no plugins, no framing by other sites.
//
// Styles allow 'unsafe-inline': Vite (in development) and the emoji picker add
// <style> elements at run time. Scripts do not: the only inline script is Vite's
// development preamble (React refresh), allowed by its hash, computed from the
// page as served.
import { createHash } from "node:crypto";
import type { Connect, Plugin } from "vite";

type Headers = Record<string, string>;

export function contentSecurityPolicy(scriptHashes: Iterable<string> = []): string {
  const hashes = [...scriptHashes].map((hash) => ` 'sha256-${hash}'`).join("");
  return [
    "default-src 'self'",
    `script-src 'self'${hashes}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "media-src 'self' blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export const otherHeaders: Headers = {
  "Referrer-Policy": "no-referrer",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
};

const INLINE_SCRIPT = /<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g;

function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(INLINE_SCRIPT)].map((m) => createHash("sha256").update(m[1]).digest("base64"));
}

export function securityHeaders(): Plugin {
  // Hashes of the inline scripts of pages served so far (Vite's preamble: one, constant).
  const known = new Set<string>();

  const middleware: Connect.NextHandleFunction = (req, res, next) => {
    // A page revalidated from the browser's cache would keep a policy made before its scripts were seen.
    if (req.headers.accept?.includes("text/html")) delete req.headers["if-none-match"];
    for (const [name, value] of Object.entries(otherHeaders)) res.setHeader(name, value);
    res.setHeader("Content-Security-Policy", contentSecurityPolicy(known));
    const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
    res.end = ((...args: unknown[]) => {
      const [chunk] = args;
      const type = String(res.getHeader("Content-Type") ?? "");
      if (type.includes("text/html") && (typeof chunk === "string" || Buffer.isBuffer(chunk)) && !res.headersSent) {
        for (const hash of inlineScriptHashes(chunk.toString())) known.add(hash);
        res.setHeader("Content-Security-Policy", contentSecurityPolicy(known));
      }
      return end(...args);
    }) as typeof res.end;
    next();
  };

  return {
    name: "parley-security-headers",
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware);
    },
  };
}
