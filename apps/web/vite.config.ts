import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Built once into dist/; `verdict serve` serves it at / on the same origin as /trpc (no CORS).
export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 600 },
  server: { proxy: { "/trpc": "http://127.0.0.1:4000", "/login": "http://127.0.0.1:4000" } },
});
