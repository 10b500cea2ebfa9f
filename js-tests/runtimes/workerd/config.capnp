# workerd serving the bundled worker; the test fills in the port.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
  sockets = [(name = "http", address = "127.0.0.1:PORT", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "dist/worker.js"),
    (name = "core.wasm", wasm = embed "dist/core.wasm"),
  ],
  compatibilityDate = "2025-09-01",
);
